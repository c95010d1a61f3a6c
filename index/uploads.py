"""Reports uploaded through the web app: checked, then stored in the upload folder only.

The upload folder is `settings.uploads` (`upload_dir`, default `<data_dir>/corpus`), never
the source checkout. Ingest reads it beside `corpus_dir`; its reports are shown as
`uploads/<name>` and described in the folder's own `reports.toml`, which the web app writes.
"""

from __future__ import annotations

import json
import os
import re
import threading
import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from index.errors import LoadError, MetadataError
from index.loaders import CONVERTIBLE, SUPPORTED_SUFFIXES
from index.metadata import FIELDS, METADATA_FILE, MetadataResult, parse_table, read_metadata
from index.settings import Settings

UPLOADS = "uploads/"
"""How reports of an upload folder outside the corpus are named (`uploads/<name>`)."""

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
    """Validate an upload and write it into the upload folder; returns the path.

    Never overwrites: when the name is taken the file gets `-2`, `-3`… before its suffix
    (compare the returned name with the uploaded one to tell the user)."""
    name = safe_filename(filename)
    suffix = Path(name).suffix.lower()
    if suffix in CONVERTIBLE:
        raise LoadError(filename, CONVERTIBLE[suffix])
    if not name or suffix not in SUPPORTED_SUFFIXES:
        allowed = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LoadError(filename or "(no name)", f"is not a supported report type; upload one of: {allowed}")
    limit = settings.limits.max_upload_bytes
    if len(data) > limit:
        raise LoadError(name, f"is {len(data):,} bytes, over the upload limit of {limit:,} (limits.max_upload_bytes)")
    if not data.strip():
        raise LoadError(name, "is empty")
    folder = settings.uploads.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / name).resolve().parent != folder:  # belt and braces: safe_filename strips directories
        raise LoadError(filename, "has a path in its name; upload a plain file")
    tmp = folder / f".{os.getpid()}-{threading.get_ident()}-{name}.part"
    try:
        tmp.write_bytes(data)
        return _link_free_name(tmp, name)
    finally:
        tmp.unlink(missing_ok=True)


# -- where an upload lives and how it is named ---------------------------------------------------
def uploads_prefix(settings: Settings) -> str:
    """The name prefix of uploaded reports: `uploads/`, or the folder's path under the corpus
    when the upload folder lies inside it (then the corpus scan already finds its files)."""
    corpus, folder = settings.corpus_dir.resolve(), settings.uploads.resolve()
    return folder.relative_to(corpus).as_posix() + "/" if folder.is_relative_to(corpus) else UPLOADS


def uploads_inside_corpus(settings: Settings) -> bool:
    return settings.uploads.resolve().is_relative_to(settings.corpus_dir.resolve())


def source_path(settings: Settings, rel: str) -> Path | None:
    """The file of the report named `rel`, inside the corpus or the upload folder (None when
    the name points outside both)."""
    prefix = uploads_prefix(settings)
    if not uploads_inside_corpus(settings) and rel.startswith(prefix):
        root, name = settings.uploads.resolve(), rel[len(prefix) :]
    else:
        root, name = settings.corpus_dir.resolve(), rel
    # The file itself, not what a link points to: resolving the last part would name a linked
    # report's target (outside the library) and leave the link to come back at the next ingest.
    path = root / name
    inside = path.parent.resolve().is_relative_to(root) and path.resolve() != root
    return path if inside and path.name not in ("", ".", "..") else None


def upload_metadata(settings: Settings, corpus: MetadataResult) -> list[tuple[Path, MetadataResult]]:
    """The metadata files of the library, each with its folder: the corpus's (`corpus`, as
    read) and the upload folder's `reports.toml`, keyed by report name (`uploads/<file>`)."""
    out = [(settings.corpus_dir, corpus)]
    if not uploads_inside_corpus(settings):
        prefix = uploads_prefix(settings)
        up = read_metadata(settings.uploads)
        out.append((settings.uploads, MetadataResult({prefix + k: m for k, m in up.metas.items()}, up.problems)))
    return out


# -- editing metadata ----------------------------------------------------------------------------


def metadata_target(settings: Settings, rel: str) -> tuple[Path, str]:
    """The metadata file that describes report `rel` and its table key there."""
    prefix = uploads_prefix(settings)
    if rel.startswith(prefix):
        return settings.uploads / METADATA_FILE, rel[len(prefix) :]
    return settings.corpus_dir / METADATA_FILE, rel


def write_report_meta(settings: Settings, rel: str, fields: Mapping[str, Any] | None) -> Path:
    """Set (or with None remove) the metadata table of report `rel`; returns the file written.

    Only that table's lines change, so the other tables of a hand-written file stay as they
    are, and its own comment lines are kept under its header. The fields are validated like any metadata file (MetadataError)."""
    path, key = metadata_target(settings, rel)
    clean = {k: v for k, v in (fields or {}).items() if k in FIELDS and v not in (None, "", [], ())}
    if fields is not None:
        parse_table(path, key, clean)  # the same checks ingest applies, before anything is written
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    start = next((i for i, line in enumerate(lines) if _header_key(line) == key), None)
    end = (
        len(lines)
        if start is None
        else next((j for j in range(start + 1, len(lines)) if _header_key(lines[j]) is not None), len(lines))
    )
    block = _table_lines(key, clean) if fields is not None else []
    if block and start is not None:  # a maintainer's notes inside the table stay, under its header
        block[1:1] = [line for line in lines[start + 1 : end] if line.lstrip().startswith("#")]
    if start is None:
        lines = [*lines, *([""] if lines and lines[-1].strip() else []), *block]
    else:
        tail = lines[end:]
        lines = [*lines[:start], *block, *([""] if block and tail else []), *tail]
    text = "\n".join(lines).strip("\n") + "\n"
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # a hand-written file this line editor cannot follow
        raise MetadataError(f'{path}: could not be updated safely ({exc}); edit the table ["{key}"] by hand') from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def _header_key(line: str) -> str | None:
    """The key of a table header line (`["002_x.txt"]`), else None."""
    stripped = line.strip()
    if not stripped.startswith("[") or stripped.startswith("[["):
        return None
    try:
        parsed = tomllib.loads(stripped)
    except tomllib.TOMLDecodeError:
        return None
    return next(iter(parsed)) if len(parsed) == 1 else None


def _table_lines(key: str, fields: Mapping[str, Any]) -> list[str]:
    # JSON strings are valid TOML basic strings (same escapes), so json.dumps quotes safely.
    out = [f"[{json.dumps(key, ensure_ascii=False)}]"]
    for name in FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if name == "year":
            out.append(f"year = {int(value)}")
        elif name == "regions":
            out.append("regions = [" + ", ".join(json.dumps(str(r), ensure_ascii=False) for r in value) + "]")
        else:
            out.append(f"{name} = {json.dumps(str(value), ensure_ascii=False)}")
    return out
