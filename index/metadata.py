"""Human metadata for reports, from `corpus/reports.toml`.

One table per report, keyed by the file's path under corpus/ (quoted, because it has a
dot): `["002_016209cccba9a16d.txt"]`. Fields: title, regions, year, kind, script,
source_site. A report without a table gets a title guessed from its text.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping
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


def _check_fields(table: _Table) -> None:
    allowed = ("title", "regions", "year", "kind", "script", "source_site")
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
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise MetadataError(f"{path}: is not UTF-8 ({exc.reason}); re-save it as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise MetadataError(f"{path}: is not valid TOML ({exc}); fix the line it names") from exc
    except OSError as exc:
        raise MetadataError(f"{path}: cannot be read ({exc.strerror or exc}); check its permissions") from exc


def load_metadata(corpus_dir: Path) -> dict[str, ReportMeta]:
    """`corpus_dir/reports.toml` as {path under corpus/: ReportMeta}; no file → {}."""
    path = corpus_dir / METADATA_FILE
    if not path.is_file():
        return {}
    raw = _read(path)
    return {key.replace("\\", "/"): parse_table(path, key, table) for key, table in raw.items()}
