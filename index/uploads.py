"""Reports uploaded through the web app: checked, then stored under the corpus folder only."""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from pathlib import Path

from index.errors import LoadError
from index.loaders import SUPPORTED_SUFFIXES
from index.settings import Settings

_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")
_MAX_NAME_BYTES = 180


def safe_filename(name: str) -> str:
    """A plain file name: no directories, no traversal, no control or odd characters."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip("._")
    stem, suffix = (base.rsplit(".", 1)[0], "." + base.rsplit(".", 1)[1]) if "." in base else (base, "")
    # File systems count bytes (255); leave room for the `-2` and the temporary-name prefix.
    while len((stem + suffix).encode()) > _MAX_NAME_BYTES and stem:
        stem = stem[:-1]
    return stem + suffix


def _link_free_name(tmp: Path, name: str) -> Path:
    """Hard-link the written `tmp` as `name`, or `stem-2.suffix`, `stem-3.suffix`… when taken.

    Distinct uploads can share a safe name ("报告 1.txt", "报告+1.txt" → `报告_1.txt`), and an
    upload must never overwrite another report: `link` fails on an existing name atomically,
    and the file appears complete (never empty or half-written) under its final name.
    """
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in range(1, 1000):
        candidate = tmp.parent / (name if n == 1 else f"{stem}-{n}{suffix}")
        try:
            os.link(tmp, candidate)
        except FileExistsError:
            continue
        return candidate
    raise LoadError(name, f"has 999 namesakes in {tmp.parent}; rename the file before uploading it")


def store_upload(settings: Settings, filename: str, data: bytes) -> Path:
    """Validate an upload and write it as `corpus/uploads/<safe name>`; returns the path.

    Never overwrites: when the name is taken the file gets `-2`, `-3`… before its suffix
    (compare the returned name with the uploaded one to tell the user)."""
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
    if (folder / name).resolve().parent != folder:  # belt and braces: safe_filename strips directories
        raise LoadError(filename, "has a path in its name; upload a plain file")
    tmp = folder / f".{os.getpid()}-{threading.get_ident()}-{name}.part"
    try:
        tmp.write_bytes(data)
        return _link_free_name(tmp, name)
    finally:
        tmp.unlink(missing_ok=True)
