"""Atomic, verified, resumable storage of finished measurement units.

Each finished (check, configuration, seed) measurement is written to
``DIR/units/<check>/<hash>.json`` through a temporary file and ``os.replace``, so an interrupted
run (Ctrl-C, kill -9) never leaves a half-written result, and a rerun reuses what finished.
The file name hashes the check name, its ``version``, the unit key and the device type.

A stored unit is used only if it verifies: it parses as a JSON object of format
:data:`FORMAT`, its check, version, key and device equal the ones asked for, its ``code``
fingerprint equals that of the code that would measure it now (:func:`code_fingerprint`), and
its ``sha256`` equals the SHA-256 of its measurement's canonical JSON (sorted keys). Anything
else — unreadable bytes, a directory, no permission, a truncated or edited file — is reported
in one line naming the file (:attr:`UnitStore.warnings`) and the unit is measured again;
it is never used and never fatal.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMAT", "UnitStore", "code_fingerprint", "measurement_digest", "to_jsonable"]

#: layout of a stored unit; bump when the fields below change
FORMAT = 2


def to_jsonable(obj: Any, strict: bool = False) -> Any:
    """numpy/torch values → plain Python. With ``strict`` non-finite floats become the strings
    "nan"/"inf"/"-inf" (standard JSON, for reports); otherwise they stay floats."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v, strict) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, strict) for v in obj]
    if hasattr(obj, "detach"):
        obj = obj.detach().cpu().numpy()
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist(), strict)
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        if strict and not math.isfinite(f):
            return "nan" if math.isnan(f) else ("inf" if f > 0 else "-inf")
        return f
    if hasattr(obj, "value") and isinstance(getattr(obj, "value", None), str):  # Enums
        return obj.value
    return obj


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder + os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def measurement_digest(measurement: Any) -> str:
    """SHA-256 of the canonical JSON (sorted keys, Python's float repr) of a JSON-able measurement."""
    return hashlib.sha256(json.dumps(measurement, sort_keys=True).encode()).hexdigest()


_FINGERPRINTS: dict[type, str] = {}


def code_fingerprint(check: Any) -> str:
    """A short hash of the code that measures for ``check``: the source of the modules that define
    its class and its ``measure`` method (read once per class per process; cheap and deterministic).

    Any edit to those modules changes it, so units measured by other code are recomputed even when
    nobody bumped ``version``. Code in other modules (the empirical layer) is covered by ``version``.
    """
    cls = check if isinstance(check, type) else type(check)
    if cls not in _FINGERPRINTS:
        h = hashlib.sha256()
        owner = next((c for c in cls.__mro__ if "measure" in vars(c)), cls)
        for mod_name in dict.fromkeys([cls.__module__, owner.__module__]):
            mod = importlib.import_module(mod_name)
            try:
                text = inspect.getsource(mod)
            except (OSError, TypeError):  # no source file (frozen, interactive): the method's bytecode
                text = repr(owner.measure.__code__.co_code)
            h.update(mod_name.encode() + b"\0" + text.encode() + b"\0")
        _FINGERPRINTS[cls] = h.hexdigest()[:16]
    return _FINGERPRINTS[cls]


class UnitStore:
    """Finished measurement units under ``root/units``; ``None`` root means nothing is stored.

    ``reused`` counts units taken from the store; ``warnings`` lists one line per stored unit
    that could not be used (and was measured again) or could not be written.
    """

    def __init__(self, root: str | Path | None, fresh: bool = False) -> None:
        self.root = Path(root) / "units" if root is not None else None
        self.fresh = fresh
        self.reused = 0
        self.warnings: list[str] = []

    def _path(self, check: str, version: int, key: str, device: str) -> Path:
        assert self.root is not None
        digest = hashlib.sha256(f"{check}|v{version}|{key}|{device}".encode()).hexdigest()[:24]
        return self.root / check / f"{digest}.json"

    def _warn(self, path: Path, why: str) -> None:
        self.warnings.append(f"stored unit {path}: {why}; measured again")

    def load(self, check: str, version: int, key: str, device: str, code: str | None = None
             ) -> dict[str, Any] | None:
        """The stored measurement, or ``None`` (absent, ``fresh``, or failed verification: warned)."""
        if self.root is None or self.fresh:
            return None
        path = self._path(check, version, key, device)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            self._warn(path, "is a directory, not a file")
            return None
        except OSError as exc:
            self._warn(path, f"cannot be read ({exc.strerror or type(exc).__name__})")
            return None
        try:
            blob = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            self._warn(path, "is not UTF-8 text")
            return None
        except (json.JSONDecodeError, RecursionError):
            self._warn(path, "is not valid JSON (truncated or damaged)")
            return None
        why = _verify(blob, check, version, key, device, code)
        if why:
            self._warn(path, why)
            return None
        self.reused += 1
        return blob["measurement"]

    def save(self, check: str, version: int, key: str, device: str, measurement: dict[str, Any],
             code: str | None = None) -> dict[str, Any]:
        """Store ``measurement`` (atomically) and return its JSON round trip; a failed write is warned, not fatal."""
        # a JSON round trip, so that a fresh measurement and a reloaded one are identical objects
        clean = json.loads(json.dumps(to_jsonable(measurement), sort_keys=True))
        if self.root is not None:
            text = json.dumps({"format": FORMAT, "check": check, "version": version, "key": key, "device": device,
                               "code": code, "sha256": measurement_digest(clean), "measurement": clean},
                              sort_keys=True)
            path = self._path(check, version, key, device)
            try:
                if path.is_dir() and not any(path.iterdir()):  # an empty folder in its place: nothing to lose
                    path.rmdir()
                atomic_write_text(path, text)
            except OSError as exc:
                self.warnings.append(f"stored unit {path}: cannot be written ({exc.strerror or exc}); "
                                     "the result is used but not kept")
        return clean


def _verify(blob: Any, check: str, version: int, key: str, device: str, code: str | None) -> str:
    """Why ``blob`` is not a valid stored unit for these coordinates ('' when it is)."""
    if not isinstance(blob, dict):
        return f"holds a JSON {type(blob).__name__}, not a stored unit"
    if blob.get("format") != FORMAT:
        return f"has format {blob.get('format')!r}, expected {FORMAT}"
    expected = {"check": check, "version": version, "key": key, "device": device, "code": code}
    for field, want in expected.items():
        if blob.get(field) != want:
            what = "was measured by other code" if field == "code" else f"has {field}={blob.get(field)!r}"
            return f"{what} (expected {want!r})"
    if not isinstance(blob.get("measurement"), dict):
        return "has no measurement object"
    if blob.get("sha256") != measurement_digest(blob["measurement"]):
        return "fails its checksum (the measurement was altered)"
    return ""
