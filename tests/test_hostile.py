"""Hostile corpus files: each is indexed correctly or reported by name with the reason, the
run finishes, and the reports indexed before are untouched.

All files are generated here, in temporary directories (no committed binaries). One ingest
of the whole hostile corpus (through the CLI) is shared by the tests of the first part.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pytest
from cli_run import run_cli
from pypdf import PdfWriter
from settings_kit import hashed_settings

from index.chunking import token_counter
from index.pipeline import Ingestor
from index.settings import Settings
from index.store import IndexStore

SEEDS = Path(__file__).resolve().parent.parent / "corpus"
SEED_002 = (SEEDS / "002_016209cccba9a16d.txt").read_text(encoding="utf-8")
SEED_003 = (SEEDS / "003_c058a78fdbcdfa77.txt").read_text(encoding="utf-8")
PHRASE_002 = "天津高新区自上而下推行法定机构改革"
PHRASE_003 = "纵深推进园区管理体制改革"
TRADITIONAL = (
    "開發區建設作為我國改革開放的成功實踐,為推動區域經濟社會發展起到了重要的引領和支撐作用。"
    "園區管理委員會負責審批業務,推行一站式服務。"
    "科學園區實行企業化管理,精簡機構,提高行政效率。\n"
)
ODD_NAME = "报告 \"引号\" 'single' 😀 (副本) #1.txt"
N_TINY = 2000
MiB = 1024 * 1024


# -- the hostile corpus -------------------------------------------------------------------
def _docx_bytes() -> bytes:
    document = docx.Document()
    document.add_heading("开发区改革进展情况的调研报告", level=1)
    for i in range(30):
        document.add_paragraph(f"第{i}条:园区推行审批制度改革,精简审批事项{i * 3}项。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.add_metadata({"/Title": "开发区改革"})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _one_line(n_chars: int) -> str:
    """Real sentences, numbered so that none repeats, on one line without a break."""
    sentences = [s + "。" for s in SEED_003.replace("\n", "").split("。") if s.strip()]
    out: list[str] = []
    size = i = 0
    while size < n_chars:
        s = sentences[i % len(sentences)].replace("改革", f"改革(第{i}处)", 1)
        out.append(s)
        size += len(s)
        i += 1
    return "".join(out)[:n_chars]


def _sprinkled(text: str) -> str:
    """Zero-width spaces and joiners, soft hyphens, BOMs, bidi marks and a few control bytes."""
    marks = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u202e", "\u202c"]
    rng = random.Random(3)
    out = []
    for i, ch in enumerate(text):
        out.append(ch)
        if i % 9 == 0:
            out.append(rng.choice(marks))
        if i % 400 == 0:
            out.append(rng.choice(["\x07", "\x1b", "\x0b", "\x7f"]))
    return "".join(out)


@dataclass(frozen=True)
class Expected:
    indexed: dict[str, str]
    """doc id → a phrase its cleaned text must contain."""
    failed: dict[str, tuple[str, ...]]
    """reported name → phrases the reason must contain."""


def make_hostile(corpus: Path) -> Expected:
    """Write every hostile file into `corpus`; returns what an ingest must make of each."""
    rng = random.Random(1)

    def put(name: str, data: bytes) -> None:
        path = corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    put("empty.txt", b"")
    put("blank.txt", b"  \n\t\r\n  \n")
    put("junk.txt", rng.randbytes(8192))
    put("image.txt", b"\x89PNG\r\n\x1a\n" + rng.randbytes(4096))
    docx_data, pdf_data = _docx_bytes(), _pdf_bytes()
    put("truncated.docx", docx_data[: len(docx_data) // 2])
    put("truncated.pdf", pdf_data[: int(len(pdf_data) * 0.6)])
    with (corpus / "huge.txt").open("wb") as fh:  # 50 MiB in no time: a sparse file
        fh.truncate(50 * MiB)
    put("long_text.txt", (_one_line(150_000) + "\n").encode() * 16)  # 7 MB: under the byte limit
    put("one_line.txt", _one_line(200_000).encode())
    put("gbk.txt", SEED_002.replace("\xa0", " ").encode("gbk"))  # GBK lacks the no-break space
    put("big5.txt", (TRADITIONAL * 20).encode("big5"))
    put("utf16.txt", SEED_003.encode("utf-16"))  # with a byte-order mark
    put("utf16le_nobom.txt", SEED_002.encode("utf-16-le"))
    put("utf8_bom.txt", SEED_003.encode("utf-8-sig"))
    put("zero_width.txt", _sprinkled(SEED_003).encode())
    put(ODD_NAME, SEED_002.replace("天津", "天津(副本)").encode())
    (corpus / "loop").mkdir()
    os.symlink("..", corpus / "loop" / "up")  # a directory loop: must not be followed
    os.symlink("self.txt", corpus / "self.txt")  # a link to itself
    os.symlink("nowhere.txt", corpus / "dangling.txt")
    os.symlink("/dev/zero", corpus / "device.txt")  # would never end
    os.mkfifo(corpus / "fifo.txt")  # would block forever
    with open(os.path.join(os.fsencode(corpus), b"bad-\xff\xfe-name.txt"), "wb") as fh:
        fh.write(SEED_003.encode())
    for i in range(N_TINY):
        put(f"tiny/t{i:04d}.txt", f"第{i}号简报:园区{i}完成审批改革。".encode())

    indexed = {
        "one_line": "管理体制改革(第1处)",
        "gbk": PHRASE_002,
        "big5": "開發區建設作為我國改革開放的成功實踐",
        "utf16": PHRASE_003,
        "utf16le_nobom": PHRASE_002,
        "utf8_bom": PHRASE_003,
        "zero_width": PHRASE_003,
        ODD_NAME.removesuffix(".txt"): "天津(副本)高新区",
    } | {f"tiny/t{i:04d}": f"园区{i}完成审批改革" for i in range(N_TINY)}
    link = "broken or looping symbolic link"
    failed = {
        "empty.txt": ("is empty",),
        "blank.txt": ("is empty",),
        "junk.txt": ("binary",),
        "image.txt": ("binary",),
        "truncated.docx": ("not a readable docx file", "save it again"),
        "truncated.pdf": ("not a readable pdf file", "export it again"),
        "huge.txt": ("52,428,800 bytes", "over the limit of 50,000,000", "limits.max_file_bytes"),
        "long_text.txt": ("characters of text", "over the limit of 2,000,000", "limits.max_text_chars"),
        "self.txt": (link,),
        "dangling.txt": (link,),
        "device.txt": ("not a regular file",),
        "fifo.txt": ("not a regular file",),
        "bad-\ufffd\ufffd-name.txt": ("not valid UTF-8", "rename it"),
    }
    return Expected(indexed, failed)


def _settings(root: Path) -> Settings:
    return hashed_settings(root)


def _snapshot(settings: Settings) -> dict[str, tuple[str, int, frozenset[str]]]:
    """doc id → (sha256, chunk count, chunk ids) of every indexed report."""
    store = IndexStore.open_current(settings)
    try:
        return {
            d.doc_id: (d.sha256, d.n_chunks, frozenset(c.chunk.id for c in store.db.doc_chunks(d.doc_id)))
            for d in store.db.docs()
        }
    finally:
        store.close()


@dataclass(frozen=True)
class HostileRun:
    settings: Settings
    expected: Expected
    summary: dict[str, Any]
    before: dict[str, tuple[str, int, frozenset[str]]]
    after: dict[str, tuple[str, int, frozenset[str]]]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(SEEDS, root / "corpus")
    settings = _settings(root)
    code, _ = run_cli(settings, "ingest", "--quiet")
    assert code == 0
    before = _snapshot(settings)
    expected = make_hostile(settings.corpus_dir)
    code, out = run_cli(settings, "ingest", "--json")
    assert code == 0, out
    return HostileRun(settings, expected, json.loads(out), before, _snapshot(settings))


# -- one ingest of everything -------------------------------------------------------------
def test_every_hostile_file_is_reported_by_name_with_its_reason(hostile: HostileRun) -> None:
    failed = dict(hostile.summary["failed"])
    assert failed.keys() == hostile.expected.failed.keys()
    for rel, phrases in hostile.expected.failed.items():
        for phrase in phrases:
            assert phrase in failed[rel], (rel, failed[rel])


def test_every_readable_hostile_file_is_indexed_with_its_text(hostile: HostileRun) -> None:
    assert set(hostile.summary["added"]) == hostile.expected.indexed.keys()
    store = IndexStore.open_current(hostile.settings)
    for doc_id, phrase in hostile.expected.indexed.items():
        text = store.db.doc_text(doc_id)
        assert text is not None and phrase in text[0], doc_id
    store.close()


def test_reports_indexed_before_are_untouched(hostile: HostileRun) -> None:
    assert sorted(hostile.summary["unchanged"]) == sorted(hostile.before)
    assert {k: hostile.after[k] for k in hostile.before} == hostile.before


def test_index_stays_consistent(hostile: HostileRun) -> None:
    found = IndexStore.open_current(hostile.settings).check_consistency()
    assert found.clean, (found.problems, found.leftovers)
    assert found.docs == len(hostile.before) + len(hostile.expected.indexed)


def test_invisible_and_control_characters_are_cleaned_out(hostile: HostileRun) -> None:
    store = IndexStore.open_current(hostile.settings)
    text = (store.db.doc_text("zero_width") or ("", ""))[0]
    store.close()
    bad = {"\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u202e", "\u202c", "\x07", "\x1b", "\x7f"}
    assert not bad & set(text)


def test_a_200000_character_line_is_cut_into_chunks_within_budget(hostile: HostileRun) -> None:
    store = IndexStore.open_current(hostile.settings)
    chunks = store.db.doc_chunks("one_line")
    text = (store.db.doc_text("one_line") or ("", ""))[0]
    store.close()
    assert len(text) == 200_000 and len(chunks) > 200
    count = token_counter(hostile.settings.chunking.encoding)
    assert all(count(c.chunk.text) <= hostile.settings.chunking.max_tokens for c in chunks)
    assert all(text[c.chunk.start : c.chunk.end] == c.chunk.text for c in chunks)


def test_odd_file_name_works_in_search_and_show(hostile: HostileRun) -> None:
    doc_id = ODD_NAME.removesuffix(".txt")
    code, out = run_cli(hostile.settings, "search", "天津(副本)高新区法定机构改革", "--report", doc_id, "--json")
    assert code == 0, out
    results = json.loads(out)["results"]
    assert results and {r["source"] for r in results} == {ODD_NAME}
    code, out = run_cli(hostile.settings, "show", doc_id, "--json")
    assert code == 0 and json.loads(out)["source"] == ODD_NAME


def test_reingest_of_the_hostile_corpus_changes_nothing(hostile: HostileRun) -> None:
    """The same failures are reported again, by name; nothing is re-embedded."""
    code, out = run_cli(hostile.settings, "ingest", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["chunks_embedded"] == 0 and not summary["added"]
    assert {rel for rel, _ in summary["failed"]} == hostile.expected.failed.keys()
    assert _snapshot(hostile.settings) == hostile.after


# -- limits -------------------------------------------------------------------------------
@pytest.fixture
def small(tmp_path: Path) -> Settings:
    """Two seed reports only: fast ingests for the limit tests."""
    settings = _settings(tmp_path)
    settings.corpus_dir.mkdir()
    for name in ("001_5fecd174d6647819.txt", "003_c058a78fdbcdfa77.txt"):
        shutil.copy(SEEDS / name, settings.corpus_dir / name)
    return settings


def test_lowered_byte_limit_names_the_file_the_size_and_the_setting(small: Settings) -> None:
    (small.corpus_dir / "medium.txt").write_text(SEED_002, encoding="utf-8")  # 17,877 bytes
    code, out = run_cli(small, "ingest", "--quiet", env={"REFORMQA_LIMITS__MAX_FILE_BYTES": "16000"})
    assert code == 0 and "2 added" in out and "1 failed" in out
    assert "failed: medium.txt: is 17,877 bytes, over the limit of 16,000" in out
    assert "REFORMQA_LIMITS__MAX_FILE_BYTES" in out and "Traceback" not in out


def test_a_file_grown_over_the_limit_keeps_its_indexed_version(small: Settings) -> None:
    assert run_cli(small, "ingest", "--quiet")[0] == 0
    before = _snapshot(small)
    path = small.corpus_dir / "003_c058a78fdbcdfa77.txt"
    path.write_text(SEED_003 * 3, encoding="utf-8")
    code, out = run_cli(small, "ingest", "--quiet", env={"REFORMQA_LIMITS__MAX_FILE_BYTES": "20000"})
    assert code == 0 and "failed: 003_c058a78fdbcdfa77.txt: is 47,442 bytes, over the limit of 20,000" in out
    assert _snapshot(small) == before


def test_text_and_chunk_limits_name_their_settings(small: Settings) -> None:
    (small.corpus_dir / "one_line.txt").write_text(_one_line(20_000), encoding="utf-8")
    code, out = run_cli(small, "ingest", "--quiet", env={"REFORMQA_LIMITS__MAX_TEXT_CHARS": "19000"})
    assert "failed: one_line.txt: has 20,000 characters of text, over the limit of 19,000" in out
    assert "REFORMQA_LIMITS__MAX_TEXT_CHARS" in out
    code, out = run_cli(small, "ingest", "--quiet", env={"REFORMQA_LIMITS__MAX_CHUNKS_PER_FILE": "25"})
    assert code == 0 and "failed: one_line.txt: gives" in out and "over the limit of 25" in out
    assert "REFORMQA_LIMITS__MAX_CHUNKS_PER_FILE" in out


def test_only_bad_files_exit_1_with_every_reason(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    settings.corpus_dir.mkdir()
    (settings.corpus_dir / "empty.txt").write_bytes(b"")
    (settings.corpus_dir / "junk.txt").write_bytes(random.Random(2).randbytes(2000))
    code, out = run_cli(settings, "ingest", "--quiet")
    assert code == 1 and "Traceback" not in out
    assert "failed: empty.txt: is empty" in out and "failed: junk.txt: looks like a binary file" in out


def test_paths_given_on_the_command_line_that_are_odd(small: Settings) -> None:
    os.mkfifo(small.corpus_dir / "fifo.txt")
    code, out = run_cli(
        small, "ingest", "--quiet", str(small.corpus_dir / "fifo.txt"), str(small.corpus_dir / "gone.txt")
    )
    assert code == 1 and "Traceback" not in out
    assert "fifo.txt: is not a regular file or a directory" in out and "gone.txt: no such file or directory" in out


def test_an_unexpected_error_on_one_file_is_isolated(small: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug that a strange file triggers in cleaning or chunking fails that file only."""
    import index.pipeline as pipeline

    real = pipeline.chunk_document

    def chunker_with_a_bug(doc, **kw):  # type: ignore[no-untyped-def]
        if doc.doc_id == "trigger":
            raise IndexError("list index out of range")
        return real(doc, **kw)

    monkeypatch.setattr(pipeline, "chunk_document", chunker_with_a_bug)
    (small.corpus_dir / "trigger.txt").write_text(SEED_002, encoding="utf-8")
    summary = Ingestor(small).run()
    assert len(summary.added) == 2
    assert [rel for rel, _ in summary.failed] == ["trigger.txt"]
    assert "IndexError" in summary.failed[0][1] and "report this file" in summary.failed[0][1]
