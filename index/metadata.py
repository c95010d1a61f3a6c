"""Human metadata for reports, from `corpus/reports.toml`.

One table per report, keyed by the file's path under corpus/ (quoted, because it has a
dot): `["002_016209cccba9a16d.txt"]`. Fields: title, regions, year, kind, script,
source_site, issuer, doc_number, date. What a table leaves out is detected from the text
(`index.docmeta`); a field given empty on purpose (`regions = []`, `issuer = ""`) stays empty.

Ingest and serving read it with `read_metadata`, which never raises: a bad entry is
reported (file, line, what is wrong) and ignored, the others still apply. When the file as
a whole is not valid TOML (a duplicated table, an unclosed string), its tables are parsed
one by one, so one typo costs one report's metadata, not the ingest.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.errors import MetadataError
from index.types import ReportMeta

METADATA_FILE = "reports.toml"
KINDS = ("research report", "survey", "news article", "case collection")
SCRIPTS = ("zh-Hans", "zh-Hant")
YEAR_RANGE = (1950, 2100)
"""Development zones date from the 1980s; anything outside this range is a typo."""


class _Table:
    """Where a field sits, so every error names the file, the table and the field."""

    def __init__(self, path: Path, key: str, raw: Mapping[str, Any]) -> None:
        self.path, self.key, self.raw = path, key, raw

    def error(self, field: str, problem: str, fix: str) -> MetadataError:
        return MetadataError(f'{self.path}: table ["{self.key}"], field `{field}`: {problem}; {fix}')

    def text(self, field: str, *, required: bool = False, choices: tuple[str, ...] = ()) -> str:
        value = self.raw.get(field, None)
        if value is None:
            if required:
                raise self.error(field, "is missing", f'add {field} = "…" to the table')
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            raise self.error(field, f"must be a non-empty string, got {value!r}", f'write it as {field} = "…"')
        if choices and value not in choices:
            allowed = ", ".join(f'"{c}"' for c in choices)
            raise self.error(field, f"is {value!r}, not one of {allowed}", "use one of those values or remove the line")
        return value.strip()

    def regions(self) -> tuple[str, ...]:
        value = self.raw.get("regions", [])
        if not isinstance(value, list) or not all(isinstance(r, str) and r.strip() for r in value):
            raise self.error(
                "regions", f"must be a list of names, got {value!r}", 'write e.g. regions = ["天津市", "滨海新区"]'
            )
        return tuple(r.strip() for r in value)

    def date(self) -> str:
        value = self.text("date")
        if value and not re.fullmatch(r"(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", value):
            raise self.error("date", f"is {value!r}, not a date", 'write it as date = "2019-08-20"')
        return value

    def explicit(self) -> tuple[str, ...]:
        """Detectable fields given empty on purpose: detection must leave them empty."""
        return tuple(f for f in DETECTABLE if f in self.raw and self.raw[f] in ("", []))

    def year(self) -> int | None:
        value = self.raw.get("year")
        if value is None:
            return None
        low, high = YEAR_RANGE
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error("year", f"must be a whole number, got {value!r}", "write e.g. year = 2020 (no quotes)")
        if not low <= value <= high:
            raise self.error(
                "year", f"{value} is outside {low}–{high}", "fix the year or remove the line if the text has none"
            )
        return value


FIELDS = ("title", "regions", "year", "kind", "script", "source_site", "issuer", "doc_number", "date")
DETECTABLE = ("regions", "issuer", "doc_number", "date")
"""Fields `index.docmeta` fills when a table leaves them out (title and year: a table has a
title, and a year cannot be written empty)."""


def _check_fields(table: _Table) -> None:
    allowed = FIELDS
    for field, value in table.raw.items():
        if field in allowed:
            continue
        if isinstance(value, dict):  # `[002_x.txt]` unquoted parses as table 002_x with sub-table txt
            raise table.error(field, "is a nested table", f'quote the file name in the header: ["{table.key}.{field}"]')
        close = difflib.get_close_matches(field, allowed, n=1)
        hint = f"did you mean `{close[0]}`?" if close else f"allowed fields: {', '.join(allowed)}"
        raise table.error(field, "is not a known field", hint)


def parse_table(path: Path, key: str, raw: object) -> ReportMeta:
    """One validated `ReportMeta` from the TOML table `[key]` (raises MetadataError)."""
    if not isinstance(raw, dict):
        raise MetadataError(f'{path}: "{key}" must be a table like ["{key}"] with title = "…", got {raw!r}')
    table = _Table(path, key, raw)
    _check_fields(table)
    return ReportMeta(
        title=table.text("title", required=True),
        regions=table.regions(),
        year=table.year(),
        kind=table.text("kind", choices=KINDS),
        script=table.text("script", choices=SCRIPTS),
        source_site=table.text("source_site"),
        issuer=table.text("issuer"),
        doc_number=table.text("doc_number"),
        date=table.date(),
        explicit=table.explicit(),
    )


@dataclass(frozen=True)
class MetadataResult:
    """The usable entries of reports.toml and one message per entry (or file) that is not."""

    metas: dict[str, ReportMeta] = dataclasses.field(default_factory=dict)
    problems: tuple[str, ...] = ()


# A table header line: `["a.txt"]`, `[a]` (not an array of tables `[[…]]`).
_HEADER = re.compile(r"^[ \t]*\[(?!\[)")
_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MetadataError(f"{path}: is not UTF-8 ({exc.reason}); re-save it as UTF-8") from exc
    except OSError as exc:
        raise MetadataError(f"{path}: cannot be read ({exc.strerror or exc}); check its permissions") from exc


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError, offset: int = 0) -> MetadataError:
    """The parser's message with line numbers counted from the top of the whole file."""

    def shift(m: re.Match[str]) -> str:
        return f"(at line {int(m.group(1)) + offset}, column {m.group(2)})"

    return MetadataError(f"{path}: is not valid TOML ({_AT_LINE.sub(shift, str(exc))}); fix the line it names")


def _sections(text: str) -> list[tuple[int, str]]:
    """(0-based first line, text) of the preamble and of each table, in file order."""
    lines = text.split("\n")
    starts = [0] + [n for n, line in enumerate(lines) if n and _HEADER.match(line)]
    return [(a, "\n".join(lines[a:b])) for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]


def _parse_sections(path: Path, text: str, problems: list[str]) -> list[tuple[int, str, object]]:
    """(line, key, table) of every section that parses on its own; the rest become problems."""
    out: list[tuple[int, str, object]] = []
    seen: dict[str, int] = {}
    for first, chunk in _sections(text):
        try:
            parsed = tomllib.loads(chunk)
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{_toml_error(path, exc, first)}; that entry is ignored")
            continue
        for key, table in parsed.items():
            if key in seen:
                problems.append(
                    f'{path}: line {first + 1}: table ["{key}"] is defined twice (first at line {seen[key]}); '
                    "the first one is used: merge the two tables and delete this one"
                )
                continue
            seen[key] = first + 1
            out.append((first + 1, key, table))
    return out


def _header_lines(text: str) -> dict[str, int]:
    """Table key → line of its header, for messages about a file that parsed as a whole."""
    out: dict[str, int] = {}
    for first, chunk in _sections(text):
        try:
            keys = tomllib.loads(chunk).keys()
        except tomllib.TOMLDecodeError:
            continue
        for key in keys:
            out.setdefault(key, first + 1)
    return out


def read_metadata(corpus_dir: Path) -> MetadataResult:
    """`corpus_dir/reports.toml` as {path under corpus/: ReportMeta}, never raising: every
    bad entry is a problem message (file, line, what is wrong, the fix) and is left out."""
    path = corpus_dir / METADATA_FILE
    if not path.is_file():
        return MetadataResult()
    problems: list[str] = []
    try:
        text = _read_text(path)
    except MetadataError as exc:
        return MetadataResult(problems=(f"{exc}; the whole file is ignored",))
    try:
        whole = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        entries = _parse_sections(path, text, problems)
        if not problems:  # each table parses alone: say what the parser said of the whole
            problems.append(f"{_toml_error(path, exc)}; the whole file is ignored")
            entries = []
    else:
        lines = _header_lines(text)
        entries = [(lines.get(key, 0), key, table) for key, table in whole.items()]
    metas: dict[str, ReportMeta] = {}
    for line, key, table in entries:
        try:
            metas[key.replace("\\", "/")] = parse_table(path, key, table)
        except MetadataError as exc:
            where = f"line {line}: " if line else ""
            problems.append(f"{str(exc).replace(f'{path}: ', f'{path}: {where}', 1)}; that entry is ignored")
    return MetadataResult(metas, tuple(problems))


def load_metadata(corpus_dir: Path) -> dict[str, ReportMeta]:
    """`corpus_dir/reports.toml` as {path under corpus/: ReportMeta}; no file → {}.

    Strict: the first problem raises MetadataError (for checks and tests; ingest uses
    `read_metadata`, which reports and goes on)."""
    path = corpus_dir / METADATA_FILE
    if not path.is_file():
        return {}
    text = _read_text(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, exc) from exc
    return {key.replace("\\", "/"): parse_table(path, key, table) for key, table in raw.items()}
