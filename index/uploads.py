"""Reports uploaded through the web app: checked, then stored under the corpus folder only."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from index.errors import LoadError
from index.loaders import SUPPORTED_SUFFIXES
from index.settings import Settings

_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def safe_filename(name: str) -> str:
    """A plain file name: no directories, no traversal, no control or odd characters."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip("._")
    return base[:120]


def store_upload(settings: Settings, filename: str, data: bytes) -> Path:
    """Validate an upload and write it as `corpus/uploads/<safe name>`; returns the path."""
    name = safe_filename(filename)
    suffix = Path(name).suffix.lower()
    if not name or suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(filename or "(no name)", f"is not a supported report type; upload one of: {allowed}")
    limit = settings.limits.max_upload_bytes
    if len(data) > limit:
        raise LoadError(name, f"is {len(data):,} bytes, over the upload limit of {limit:,} (limits.max_upload_bytes)")
    if not data.strip():
        raise LoadError(name, "is empty")
    folder = (settings.corpus_dir / "uploads").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = (folder / name).resolve()
    if target.parent != folder:  # belt and braces: safe_filename already strips directories
        raise LoadError(filename, "has a path in its name; upload a plain file")
    tmp = folder / f".{name}.part"
    tmp.write_bytes(data)
    tmp.replace(target)
    return target
