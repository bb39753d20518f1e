"""Atomic, resumable storage of finished measurement units.

Each finished (check, configuration, seed) measurement is written to
``DIR/units/<check>/<hash>.json`` through a temporary file and ``os.replace``, so an interrupted
run (Ctrl-C, kill -9) never leaves a half-written result, and a rerun reuses what finished.
The file name hashes the check name, its ``version``, the unit key and the device type.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["UnitStore", "to_jsonable"]


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


class UnitStore:
    """Finished measurement units under ``root/units``; ``None`` root means nothing is stored."""

    def __init__(self, root: str | Path | None, fresh: bool = False) -> None:
        self.root = Path(root) / "units" if root is not None else None
        self.fresh = fresh
        self.reused = 0

    def _path(self, check: str, version: int, key: str, device: str) -> Path:
        assert self.root is not None
        digest = hashlib.sha256(f"{check}|v{version}|{key}|{device}".encode()).hexdigest()[:24]
        return self.root / check / f"{digest}.json"

    def load(self, check: str, version: int, key: str, device: str) -> dict[str, Any] | None:
        if self.root is None or self.fresh:
            return None
        path = self._path(check, version, key, device)
        try:
            blob = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if blob.get("key") != key:
            return None
        self.reused += 1
        return blob["measurement"]

    def save(self, check: str, version: int, key: str, device: str, measurement: dict[str, Any]) -> dict[str, Any]:
        # a JSON round trip, so that a fresh measurement and a reloaded one are identical objects
        clean = json.loads(json.dumps(to_jsonable(measurement), sort_keys=True))
        if self.root is not None:
            text = json.dumps({"check": check, "version": version, "key": key, "device": device,
                               "measurement": clean}, sort_keys=True)
            atomic_write_text(self._path(check, version, key, device), text)
        return clean
