"""Find the report files an ingest reads: walk, refuse links, check names and sizes.

Nothing is read through a symbolic link (a link in the corpus folder could expose any file
on the server, or index one file twice); hidden files and folders, links, names that cannot
be report ids and files that would replace a corpus report are each named with a reason, so
the ingest summary accounts for every file it did not read.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.errors import LoadError
from index.loaders import CONVERTIBLE, SUPPORTED_SUFFIXES, check_size
from index.types import SourceFile


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


Notes = list[tuple[str, str]]
"""(shown path, remark) per file that is not a failure: a link or hidden file not read, a
file indexed from outside the corpus folder."""

_OUTSIDE = (
    "is outside the corpus folder: indexed as {rel}, and removed again by the next ingest of the whole corpus "
    "unless you copy it into the corpus folder"
)
_HIDDEN_DIR = (
    "is a hidden folder (its name starts with '.'), so its files are not indexed; rename it if it holds reports"
)
_HIDDEN = "has a hidden name (it starts with '.'), so it is not indexed; rename it if it is a report"


_LISTED = (*SUPPORTED_SUFFIXES, *CONVERTIBLE)
"""Read, or named with the fix (a .doc is reported, not passed over in silence)."""


def _supported_name(name: str) -> bool:
    lower = name.lower()
    return any(lower.endswith(suffix) for suffix in _LISTED)


def _walk(root: Path, top: Path, notes: Notes) -> Iterator[Path]:
    """Report files under `top`, never through a symbolic link (each link is reported)."""
    # os.walk does not descend into directory links; those are reported, not followed.
    for dirpath, dirnames, filenames in os.walk(top):
        here = Path(dirpath)
        for d in sorted(dirnames):
            if d.startswith("."):
                notes.append((rel_path(here / d, root) + "/", _HIDDEN_DIR))
            elif (here / d).is_symlink():
                notes.append((rel_path(here / d, root) + "/", "is a symbolic link to a folder; links are not followed"))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(filenames):
            if not _supported_name(name):
                continue
            if name.startswith("."):
                notes.append((rel_path(here / name, root), _HIDDEN))
            else:
                yield here / name


def _link_reason(path: Path, root: Path) -> str | None:
    """Why a symbolic link is not read, or None for a broken one (reported as failed)."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not target.is_file():
        return None
    if target.is_relative_to(root):
        return (
            f"is a symbolic link to {target.relative_to(root).as_posix()} in the corpus folder; links are not "
            "followed (that file is indexed under its own name)"
        )
    return (
        "is a symbolic link to a file outside the corpus folder; links are never followed (one could expose any "
        "file on the server): copy the report into the corpus folder instead"
    )


def _candidates(given: Path, root: Path, failed: list[tuple[str, str]], notes: Notes) -> list[Path]:
    """The files one command-line path stands for."""
    if given.is_symlink() and given.resolve() != root:
        reason = _link_reason(given, root)
        if reason is None:
            failed.append((str(given), _not_regular(given)))
        else:
            notes.append((str(given), reason))
        return []
    if given.is_dir():
        return list(_walk(root, root if given.resolve() == root else given, notes))
    if given.is_file():
        return [given]
    failed.append(
        (str(given), "no such file or directory" if not given.exists() else "is not a regular file or a directory")
    )
    return []


_BAD_NAME_CATEGORIES = ("Cc", "Cf", "Zl", "Zp", "Co", "Cn")


def invisible_char(rel: str) -> str | None:
    """The first control, format (bidi, zero-width) or unassigned character of a path or a
    report id (none of them may hold one: they are shown in the app, the CLI and logs)."""
    return next((ch for ch in rel if unicodedata.category(ch) in _BAD_NAME_CATEGORIES), None)


def char_name(ch: str) -> str:
    """`U+202E (RIGHT-TO-LEFT OVERRIDE)`: how a message names an invisible character."""
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'control character')})"


def shown_name(rel: str) -> str:
    """`rel` with invisible and control characters written as `\\uXXXX`, safe to print."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) in _BAD_NAME_CATEGORIES else ch for ch in rel)


def _name_problem(path: Path, rel: str, root: Path) -> tuple[str, str] | None:
    """(shown name, why) when a file's name cannot become a report id, or would replace one."""
    if not _is_utf8(rel):  # an undecodable name (surrogate escapes) breaks ids, JSON and SQLite
        shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return shown, "has a file name that is not valid UTF-8 (saved on another system?); rename it"
    bad = invisible_char(rel)
    if bad is not None:
        return shown_name(rel), (
            f"has the invisible character {char_name(bad)} in its name, which would hide or reorder "
            "text wherever the report id is shown; rename it"
        )
    outside = not path.absolute().is_relative_to(root) and not path.resolve().is_relative_to(root)
    if outside and ((root / rel).exists() or (root / rel).is_symlink()):
        return str(path), (
            f"is outside the corpus folder and has the same name as the corpus report {rel}, which it would "
            "replace; rename it or copy it into the corpus folder under another name"
        )
    return None


def _namesake(path: Path, rel: str, seen: dict[str, Path]) -> tuple[str, str] | None:
    """Files from outside the corpus are named by their bare name: two of them with one name
    (`ingest /other` holding a/x.txt and b/x.txt) would be one report, the second silently
    replacing the first. The second is refused, naming the first."""
    first = seen.setdefault(rel, path)
    if first is path:
        return None
    return str(path), (
        f"has the same name as {first}, which this ingest reads as the report {rel}; one report cannot "
        "hold both: rename one of them or copy them into the corpus folder"
    )


@dataclass(frozen=True)
class ScanResult:
    """What a scan found: the report files, the paths it could not use (with the reason),
    and what it passed over on purpose (links, hidden files, files from outside the corpus)."""

    files: list[SourceFile]
    failed: list[tuple[str, str]]
    notes: list[tuple[str, str]]


def scan(corpus_dir: Path, paths: Sequence[Path], *, max_bytes: int | None = None) -> ScanResult:
    """Supported report files under `paths`; never reads through a symbolic link."""
    root = corpus_dir.resolve()
    failed: list[tuple[str, str]] = []
    notes: Notes = []
    found: list[SourceFile] = []
    seen: dict[str, Path] = {}
    for given in paths:
        for path in _candidates(given, root, failed, notes):
            rel = rel_path(path, root)
            if rel in seen and seen[rel].absolute() == path.absolute():
                continue  # the same file named twice on the command line: read once
            problem = _name_problem(path, rel, root) or _namesake(path, rel, seen)
            if problem is not None:
                failed.append(problem)
                continue
            try:
                if path.is_symlink():
                    reason = _link_reason(path, root)
                    if reason is not None:
                        notes.append((rel, reason))
                        continue
                    raise OSError(_not_regular(path))
                if not path.is_file():
                    raise OSError(_not_regular(path))
                size = path.stat().st_size
                if max_bytes is not None:
                    check_size(rel, size, max_bytes)  # before hashing: it could be gigabytes
                found.append(SourceFile(path=path, rel=rel, sha256=_sha256(path), size=size))
                if not path.absolute().is_relative_to(root):
                    notes.append((str(path), _OUTSIDE.format(rel=rel)))
            except OSError as exc:
                failed.append((rel, f"cannot be read ({exc.strerror or exc})"))
            except LoadError as exc:
                failed.append((rel, exc.reason))
    return ScanResult(found, failed, notes)


def _not_regular(path: Path) -> str:
    # is_file() follows links: it is False for a broken or looping link (where
    # Path.resolve() would raise RuntimeError) and for a pipe or a device, which would
    # block or never end when read.
    if not path.is_symlink():
        return "not a regular file (a pipe, socket or device)"
    if path.exists():
        return "a symbolic link to something that is not a regular file"
    return "broken or looping symbolic link"


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def rel_path(path: Path, root: Path) -> str:
    """`path` under the corpus root in POSIX form, or its bare name when outside it."""
    try:
        return path.absolute().relative_to(root).as_posix()
    except ValueError:
        return path.name
