"""Real report files read as the ingest reads them: what comes out, per file, and how fast.

For every report file of FOLDER (not recursive) this prints: the title, regions and year
the ingest gives it, pages, the hard-wrapped line breaks left inside sentences, the
character error rate against a reference text where one exists, OCR pages and their speed,
chunks, and seconds spent reading (PDF layout, OCR) and cleaning. `--embed` also indexes
the folder with the real model into a temporary data dir and reports the embedding time
separately.

Which files are reports: those of a type the ingest reads, except references
(`X_groundtruth.txt`: the whole text of the report whose name starts with X;
`X_page1_reference.txt`: page 1 of report X, beside it or in bench/data/) and the folder's
own papers (README, LICENSE, SOURCES, EXPECTED…); when the folder has a SOURCES.tsv or
EXPECTED.tsv, only the files it lists. An `EXPECTED.tsv` (columns filename, title, year,
regions: what a careful reader takes from page 1; empty = not stated) is a key: each file's
title, year and regions are marked right (+) or wrong (-) and a total is printed.

    python bench/real_files.py FOLDER [--embed] [--json out.json] [--show DIR]

Definitions (docs/BENCHMARKS.md, "Real files"):
- hard-wrapped break: a line break in the cleaned text inside a sentence, i.e. the line
  before ends with neither sentence-final punctuation (。！？!?；;…：: and a closing quote or
  bracket after one) nor a table cell, and the line after starts with no heading or list
  marker (一、 （一） 1. (1) ① 第X条 4.1.2 C.1 a bullet) and is no table row (" | "), and the
  line before ends with a clause mark (，、 or an opening bracket), or else is no heading or
  title: at least 20 characters long, not a marker line of at most 40 characters (a numbered
  heading), and without a space beside a Chinese character (items set side by side, as on a
  cover: "证券代码：002594 证券简称：比亚迪"). Lines of 20+ characters without final punctuation
  are what a PDF's printed lines look like (the old reader kept ~290 of them in a 13-page
  report). Unnumbered headings of 20+ characters still count: an upper bound.
- CER: Levenshtein distance between the cleaned text and the reference, whitespace removed
  from both, divided by the reference's length.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.cer import cer  # noqa: E402
from index.chunking import chunk_document  # noqa: E402
from index.gazetteer import gazetteer  # noqa: E402
from index.loaders import SUPPORTED_SUFFIXES, ReadLimits, load_file  # noqa: E402
from index.pipeline import clean_document, ocr_options  # noqa: E402
from index.scanning import SourceFile  # noqa: E402
from index.settings import Settings  # noqa: E402
from index.textnorm import normalize  # noqa: E402
from index.wrapping import ends_sentence, starts_block  # noqa: E402

_CLAUSE = re.compile(r"[，,、（(“《]$")
_ITEMS = re.compile(r"[\u3400-\u9fff\uff00-\uffef] | [\u3400-\u9fff\uff00-\uffef]")
_HEADING_MAX = 40
"""A line that starts with a heading marker and is at most this long is a heading
(index.segmentation reads it so)."""
_REFERENCE = "_groundtruth.txt"
_PAGE1_REFERENCE = "_page1_reference.txt"
_DATA = Path(__file__).parent / "data"
"""Hand transcriptions of page 1 of scans: `bench/data/<stem>_page1_reference.txt` (or beside the file)."""
_PAPERS = re.compile(r"^(?:readme|licen[cs]e|copying|notice|changelog|sources|expected)\b", re.I)
"""A folder's own papers, not reports."""
_MANIFESTS = ("SOURCES.tsv", "EXPECTED.tsv")
_EXPECTED = "EXPECTED.tsv"


def wrapped_breaks(text: str) -> list[int]:
    """Offsets of the line breaks of `text` that fall inside a sentence (module docstring)."""
    out = []
    lines = text.split("\n")
    offset = 0
    for before, after in itertools.pairwise(lines):
        offset += len(before) + 1
        b, a = before.strip(), after.strip()
        if not b or not a or ends_sentence(b) or " | " in b or " | " in a or starts_block(a):
            continue
        heading = len(b) < 20 or (starts_block(b) and len(b) <= _HEADING_MAX) or bool(_ITEMS.search(b))
        if _CLAUSE.search(b) or not heading:
            out.append(offset - 1)
    return out


def references(folder: Path) -> dict[str, Path]:
    """Report stem → its reference text: `X_groundtruth.txt` serves the file whose stem starts with X."""
    return {p.name[: -len(_REFERENCE)]: p for p in folder.glob(f"*{_REFERENCE}")}


def reference_for(stem: str, refs: dict[str, Path]) -> Path | None:
    keys = sorted((k for k in refs if stem.startswith(k)), key=len, reverse=True)
    return refs[keys[0]] if keys else None


def page1_reference(path: Path) -> Path | None:
    """`<stem>_page1_reference.txt` beside the file, else in bench/data/."""
    for folder in (path.parent, _DATA):
        ref = folder / f"{path.stem}{_PAGE1_REFERENCE}"
        if ref.is_file():
            return ref
    return None


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in csv.DictReader(fh, delimiter="\t")]


def report_files(folder: Path) -> list[Path]:
    """The reports of `folder` (module docstring): no references, no papers, and only the
    files a SOURCES.tsv or EXPECTED.tsv lists when there is one."""
    manifests = [folder / m for m in _MANIFESTS if (folder / m).is_file()]
    listed = {row.get("filename", "") for m in manifests for row in _tsv(m)} if manifests else None
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not p.name.endswith((_REFERENCE, _PAGE1_REFERENCE))
        and not _PAPERS.match(p.name)
        and (listed is None or p.name in listed)
    )


@dataclass(frozen=True)
class Expected:
    """What a careful reader takes from a file's first page (a row of EXPECTED.tsv)."""

    title: str
    year: int | None
    regions: frozenset[str]


def _places(text: str) -> frozenset[str]:
    """江苏省盐城市, 北京市、雄安新区 → the official names (unknown names as written)."""
    g = gazetteer()
    out: set[str] = set()
    for piece in re.split(r"[、,，;；\s]+", text.strip()):
        if piece:
            found = g.regions([m.division for m in g.find(piece)])
            out.update(found or (piece,))
    return frozenset(out)


def read_expected(folder: Path) -> dict[str, Expected]:
    path = folder / _EXPECTED
    if not path.is_file():
        return {}
    return {
        row["filename"]: Expected(
            row.get("title", ""),
            int(row["year"]) if row.get("year", "").isdigit() else None,
            _places(row.get("regions", "")),
        )
        for row in _tsv(path)
        if row.get("filename")
    }


def _flat(title: str) -> str:
    return normalize(re.sub(r"\s+", "", title))


def title_right(title: str, year: int | None, expected: Expected) -> bool:
    """The printed title, whitespace and script aside; a title that differs only by its year
    prefix (2024年北京市政府工作报告 / 北京市政府工作报告) is right when the year is."""
    got, want = _flat(title), _flat(expected.title)
    if got == want:
        return True
    prefix = f"{expected.year}年"
    return (expected.year is not None and year == expected.year and prefix + got == want) or got == prefix + want


def judge(row: Row, expected: Expected) -> None:
    """Mark the row's title, year and regions right or wrong against the key. A title that is
    the file's name (what the ingest falls back to when the text shows none) counts as none."""
    title = "" if row.title == Path(row.file).stem else row.title
    row.title_ok = not row.error and title_right(title, row.year, expected)
    row.year_ok = not row.error and row.year == expected.year
    got = frozenset(r for r in row.regions.split("、") if r)
    row.regions_ok = not row.error and got == expected.regions


def _mark(ok: bool | None) -> str:
    return "+" if ok else "-"


@dataclass
class Row:
    file: str
    title: str = ""
    regions: str = ""
    year: int | None = None
    pages: int = 0
    wrapped: int = 0
    cer: float | None = None
    page1_cer: float | None = None
    ranges_kept: str = ""
    ocr_pages: int = 0
    ocr_pages_per_s: float | None = None
    chunks: int = 0
    title_ok: bool | None = None
    year_ok: bool | None = None
    regions_ok: bool | None = None
    """Against the folder's EXPECTED.tsv (None: no row for the file)."""
    read_s: float = 0.0
    clean_s: float = 0.0
    error: str = ""


def measure(path: Path, settings: Settings, refs: dict[str, Path], show: Path | None) -> Row:
    row = Row(path.name)
    source = SourceFile(path, path.name, "", path.stat().st_size)
    limits = ReadLimits(max_bytes=settings.limits.max_file_bytes, max_chars=settings.limits.max_text_chars)
    try:
        t0 = time.perf_counter()
        loaded = load_file(path, path.name, limits=limits, ocr=ocr_options(settings))
        t1 = time.perf_counter()
        doc = clean_document(loaded, source, path.stem, None)  # what the ingest makes of it
        t2 = time.perf_counter()
    except Exception as exc:  # noqa: BLE001 - a benchmark reports every file
        row.error = str(exc)
        return row
    row.read_s = round(t1 - t0, 3)
    row.clean_s = round(t2 - t1, 3)
    cfg = settings.chunking
    row.chunks = len(
        chunk_document(doc, max_tokens=cfg.max_tokens, overlap=cfg.overlap_sentences, encoding=cfg.encoding)
    )
    row.title, row.regions, row.year = doc.meta.title, "、".join(doc.meta.regions), doc.meta.year
    row.pages = len(doc.page_starts)
    row.wrapped = len(wrapped_breaks(doc.text))
    row.ocr_pages = len(doc.ocr_pages)
    if row.ocr_pages:
        row.ocr_pages_per_s = round(row.ocr_pages / max(row.read_s, 1e-6), 3)
    ref = reference_for(path.stem, refs)
    if ref is not None:
        expected = ref.read_text(encoding="utf-8")
        row.cer = round(cer(doc.text, expected), 4)
        ranges = sorted(set(re.findall(r"\d{4}\s*[-–—]\s*\d{4}", expected)))
        compact = re.sub(r"\s+", "", doc.text)
        kept = [r for r in ranges if re.sub(r"\s+", "", r) in compact]
        row.ranges_kept = f"{len(kept)}/{len(ranges)}"
    page1 = page1_reference(path)
    if page1 is not None:  # a transcription of page 1 (a scan, or a page in reading order)
        end = doc.page_starts[1] if len(doc.page_starts) > 1 else len(doc.text)
        row.page1_cer = round(cer(doc.text[:end], page1.read_text(encoding="utf-8")), 4)
    if show is not None:
        (show / f"{path.stem}.txt").write_text(doc.text, encoding="utf-8")
    return row


def embed_folder(folder: Path, files: list[Path]) -> float:
    """Seconds a full `reformqa ingest` of the files takes with the real model (fresh data dir)."""
    from index.pipeline import Ingestor

    with tempfile.TemporaryDirectory(prefix="reformqa-real-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        for f in files:
            shutil.copy2(f, corpus / f.name)
        settings = Settings(corpus_dir=corpus, data_dir=Path(tmp) / "data")
        t = time.perf_counter()
        Ingestor(settings).run()
        return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--embed", action="store_true", help="also index with the real model (embedding time)")
    parser.add_argument("--json", type=Path, help="write the rows as JSON")
    parser.add_argument("--show", type=Path, help="write each file's cleaned text into this folder")
    args = parser.parse_args()
    settings = Settings()
    refs = references(args.folder)
    files = report_files(args.folder)
    key = read_expected(args.folder)
    if args.show:
        args.show.mkdir(parents=True, exist_ok=True)
    rows = [measure(p, settings, refs, args.show) for p in files]
    for r in rows:
        if r.file in key:
            judge(r, key[r.file])
    for r in rows:
        print(f"\n{r.file}")
        if r.error:
            print(f"  failed: {r.error}")
            continue
        print(f"  title: {r.title} | regions: {r.regions or '-'} | year: {r.year or '-'}")
        if r.title_ok is not None:
            print(f"  {_EXPECTED}: title {_mark(r.title_ok)} year {_mark(r.year_ok)} regions {_mark(r.regions_ok)}")
        ocr = f"{r.ocr_pages} ({r.ocr_pages_per_s} pages/s)" if r.ocr_pages else "0"
        quality = f"CER {r.cer:.2%} (ranges kept {r.ranges_kept})" if r.cer is not None else "CER -"
        if r.page1_cer is not None:
            quality += f" | page-1 CER {r.page1_cer:.2%}"
        print(f"  pages {r.pages} | wrapped breaks {r.wrapped} | {quality} | OCR pages {ocr} | chunks {r.chunks}")
        print(f"  read {r.read_s:.2f} s | clean {r.clean_s:.2f} s")
    paged = [r for r in rows if not r.error and r.pages and not r.ocr_pages]
    text_pages = sum(r.pages for r in paged)
    text_s = sum(r.read_s + r.clean_s for r in paged)
    if text_pages:
        print(
            f"\ntext PDFs (no OCR): {text_pages} pages read and cleaned in {text_s:.2f} s = {text_pages / text_s:.1f} pages/s"
        )
    judged = [r for r in rows if r.title_ok is not None]
    if judged:
        n = len(judged)
        counts = {f: sum(bool(getattr(r, f"{f}_ok")) for r in judged) for f in ("title", "year", "regions")}
        whole = sum(bool(r.title_ok and r.year_ok and r.regions_ok) for r in judged)
        print(
            f"\n{_EXPECTED}: title {counts['title']}/{n}, year {counts['year']}/{n}, regions {counts['regions']}/{n}; "
            f"all three right {whole}/{n}; fields right {sum(counts.values())}/{3 * n}"
        )
    if args.embed:
        total = embed_folder(args.folder, files)
        spent = sum(r.read_s + r.clean_s for r in rows)
        print(
            f"full ingest with the real model: {total:.1f} s (embedding, chunking, keyword index: {total - spent:.1f} s)"
        )
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in rows], ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
