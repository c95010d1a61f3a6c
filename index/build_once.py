"""Build a folder in the cache once, atomically: the bundled model's conversion and its
ONNX exports both go through here.

The folder is built in a temporary folder next to the target, a marker file is written
last, and the temporary folder is renamed into place. So a reader sees either no folder
or a complete one, whatever was killed when. A file lock saves a second process from
repeating minutes of work; correctness comes from the rename, which also covers
processes that do not take the lock.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def is_built(folder: Path, marker: str) -> bool:
    return (folder / marker).is_file()


def build_once(target: Path, marker: str, build: Callable[[Path], str]) -> Path:
    """Return `target`, first running `build(tmp)` unless a complete copy is there.

    `build` fills the empty folder it is given and returns the marker's content.
    """
    if is_built(target, marker):  # the common path: no lock, no heavy imports
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    from filelock import FileLock

    with FileLock(str(target.parent / f".{target.name}.lock")):
        if not is_built(target, marker):
            _build_atomically(target, marker, build)
    return target


def _build_atomically(target: Path, marker: str, build: Callable[[Path], str]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        content = build(tmp)
        _make_readable(tmp)
        (tmp / marker).write_text(content, encoding="utf-8")
        move_into_place(tmp, target, marker)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # a no-op once the rename succeeded


def _make_readable(folder: Path) -> None:
    # mkdtemp (and safetensors) create private files; the cache may be shared by a team.
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def move_into_place(tmp: Path, target: Path, marker: str) -> None:
    """Rename the complete folder `tmp` to `target`, replacing an incomplete one."""
    if target.exists() and not is_built(target, marker):
        shutil.rmtree(target)  # an incomplete folder someone copied or half-deleted
    try:
        os.replace(tmp, target)
    except OSError:
        # Another process renamed its (complete) copy into place first: keep that one.
        if not is_built(target, marker):
            raise
