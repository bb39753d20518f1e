"""Reader (and writer) for IDX files, the format of MNIST and Fashion-MNIST.

Format (docs/theory/generalization.md §7, [recalled, high]): big-endian; a 4-byte magic number made of
two zero bytes, a type byte (0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32, 0x0D float32,
0x0E float64) and the number of dimensions; then one 4-byte big-endian size per dimension; then the data in
row-major order. Files are often gzipped (``*.gz``); gzip is detected by its own magic bytes, not the name.

Nothing is downloaded: :func:`load_mnist` reads files the user already has. Every malformed file raises
:class:`IDXFormatError` naming the file and what is wrong (bad magic, unknown type, size mismatch, truncated
data, trailing bytes, images/labels count mismatch).
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

__all__ = ["IDX_DTYPES", "IDXFormatError", "load_idx_pair", "load_mnist", "read_idx", "write_idx"]

#: type byte → big-endian numpy dtype
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
_MNIST_NAMES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class IDXFormatError(ValueError):
    """An IDX file is malformed (the message names the file and the problem)."""


def _read_bytes(path: str | os.PathLike) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"IDX file {str(p)!r} does not exist (nothing is downloaded: give the path of a file "
                                "you have)")
    raw = p.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise IDXFormatError(f"{p}: gzip data is corrupt ({exc})") from None
    return raw


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in the IDX file ``path`` (plain or gzipped), in native byte order."""
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXFormatError(f"{path}: {len(raw)} bytes is too short for an IDX header (needs ≥ 4)")
    if raw[0] != 0 or raw[1] != 0:
        raise IDXFormatError(f"{path}: bad magic number 0x{raw[:4].hex()} (the first two bytes must be zero)")
    type_byte, ndim = raw[2], raw[3]
    if type_byte not in IDX_DTYPES:
        known = ", ".join(f"0x{k:02X}" for k in IDX_DTYPES)
        raise IDXFormatError(f"{path}: unknown data type byte 0x{type_byte:02X} (known: {known})")
    if ndim == 0:
        raise IDXFormatError(f"{path}: the number of dimensions is 0")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXFormatError(f"{path}: header declares {ndim} dimensions but the file ends after {len(raw)} bytes")
    shape = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_byte]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header
    if got < expected:
        raise IDXFormatError(f"{path}: truncated: shape {shape} of {dtype.name} needs {expected} data bytes, "
                             f"the file has {got}")
    if got > expected:
        raise IDXFormatError(f"{path}: {got - expected} unexpected trailing bytes after the data of shape {shape}")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (gzipped when ``compress`` or, by default, when the name ends in .gz)."""
    arr = np.asarray(array)
    match = [k for k, v in IDX_DTYPES.items() if v.newbyteorder("=") == arr.dtype.newbyteorder("=")]
    if not match:
        raise TypeError(f"dtype {arr.dtype} has no IDX type; use one of uint8, int8, int16, int32, float32, float64")
    if arr.ndim == 0 or arr.ndim > 255:
        raise ValueError(f"IDX arrays need 1 to 255 dimensions, got shape {arr.shape}")
    head = bytes([0, 0, match[0], arr.ndim]) + np.asarray(arr.shape, dtype=">u4").tobytes()
    blob = head + np.ascontiguousarray(arr, dtype=IDX_DTYPES[match[0]]).tobytes()
    p = Path(path)
    if compress or (compress is None and p.suffix == ".gz"):
        blob = gzip.compress(blob)
    p.write_bytes(blob)
    return p


def load_idx_pair(images_path: str | os.PathLike, labels_path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Images as float64 of shape (N, rows·cols) and labels as int64 of shape (N,), checked against each other."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim < 2:
        raise IDXFormatError(f"{images_path}: images need ≥ 2 dimensions (N, …), got shape {images.shape}")
    if labels.ndim != 1:
        raise IDXFormatError(f"{labels_path}: labels must be 1-D, got shape {labels.shape}")
    if images.shape[0] != labels.shape[0]:
        raise IDXFormatError(f"{images_path} holds {images.shape[0]} images but {labels_path} holds "
                             f"{labels.shape[0]} labels")
    if not np.issubdtype(labels.dtype, np.integer):
        raise IDXFormatError(f"{labels_path}: labels must be integers, got {labels.dtype}")
    return images.reshape(images.shape[0], -1).astype(np.float64), labels.astype(np.int64)


def load_mnist(folder: str | os.PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """MNIST or Fashion-MNIST images and labels from the standard file names in ``folder`` (``.gz`` or not)."""
    if split not in _MNIST_NAMES:
        raise ValueError(f"unknown split {split!r}; use 'train' or 'test'")
    base = Path(folder)
    if not base.is_dir():
        raise FileNotFoundError(f"folder {str(base)!r} does not exist")
    paths = []
    for name in _MNIST_NAMES[split]:
        found = [base / f for f in (name, name + ".gz") if (base / f).is_file()]
        if not found:
            raise FileNotFoundError(f"neither {name!r} nor {name + '.gz'!r} is in {str(base)!r}")
        paths.append(found[0])
    return load_idx_pair(*paths)
