"""The triage model on disk: numeric arrays and a JSON header in one `.npz` file.

Nothing in the file is pickled and it is read with `allow_pickle=False`, so a
tampered model file can at worst give wrong labels, never run code.  Anything
else (a `.joblib` or other pickle from older versions) is refused with an error
naming the file; `msgrouter train` writes a new one.
"""
from __future__ import annotations

import json
import os
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

KIND = "msgrouter-triage-model"
FORMAT = 3            # 2 was a joblib pickle; bump when the saved layout changes
HEADER = "header"     # the JSON header, stored as an array of UTF-8 bytes


class ModelFileError(ValueError):
    """The file at the model path is not a model this version can read safely."""


def write(path: str | Path, header: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write `header` (JSON-able) and numeric `arrays` to `path`, replacing it atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {"kind": KIND, "format": FORMAT, "msgrouter": _our_version(), **header}
    blob = np.frombuffer(json.dumps(header, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
    for name, array in arrays.items():
        if array.dtype.hasobject:
            raise TypeError(f"model array {name!r} holds Python objects; only numbers are saved")
    # Written through a file object: np.savez would add ".npz" to any other file name.
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        payload: dict[str, Any] = {HEADER: blob, **arrays}  # Any: numpy's stub reads ** as allow_pickle
        np.savez_compressed(fh, **payload)
    os.replace(tmp, path)


def read(path: str | Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and arrays saved at `path`; ModelFileError for anything else."""
    path = Path(path)
    with open(path, "rb") as fh:
        start = fh.read(4)
    if start != b"PK\x03\x04":          # an .npz is a zip; a pickle or joblib file is not
        raise ModelFileError(
            f"{path}: not a msgrouter model file (format {FORMAT}: numpy arrays and a JSON header); "
            f"pickled models such as .joblib files are refused because loading one can run code; "
            f"write a new one with `msgrouter train`")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        header = json.loads(arrays.pop(HEADER).tobytes().decode("utf-8"))
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}: not a readable msgrouter model file ({exc})") from None
    if not isinstance(header, dict) or header.get("kind") != KIND or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else None
        raise ModelFileError(f"{path}: a model file of format {found}, this version reads format {FORMAT}; "
                             f"run `msgrouter train` again")
    return header, arrays


def _our_version() -> str:
    try:
        return version("msgrouter")
    except PackageNotFoundError:     # running from a checkout that was never installed
        return "unknown"

