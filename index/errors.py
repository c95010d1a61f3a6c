"""The project's error hierarchy.

Every message names the object (file, field, report id, setting) and the fix. Errors are
raised as these types inside the project and translated only at the edges (CLI exit code
and message, HTTP `{"ok": false, "error": ...}`, a readable line in the UI).
"""

from __future__ import annotations


class ReformQAError(Exception):
    """Base class: a problem the user can act on."""


class LoadError(ReformQAError):
    """A report file could not be read or decoded."""

    def __init__(self, rel: str, reason: str) -> None:
        super().__init__(f"{rel}: {reason}")
        self.rel = rel
        self.reason = reason


class MetadataError(ReformQAError):
    """corpus/reports.toml is malformed."""


class IndexMismatchError(ReformQAError):
    """The stored index was built with other settings (model, chunker, cleaner)."""


class IndexMissingError(ReformQAError):
    """No index exists yet in the data directory."""


class VectorsMissingError(ReformQAError):
    """The manifest names a vector collection the vector store does not have."""


class IngestLockedError(ReformQAError):
    """Another ingest holds the data directory."""


class UnknownReportError(ReformQAError):
    """A report id that is not in the index."""


class QueryError(ReformQAError):
    """A question or search query that cannot be processed (empty, too long)."""


class ConfigError(ReformQAError):
    """A setting or prompt file is invalid."""
