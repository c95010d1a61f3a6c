"""Issue 12 (ingest side): links are never followed, odd names are refused or reported per
file, a bad reports.toml entry costs only that entry, removal of a linked report sticks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_run import run_cli

from assistant.facade import Assistant
from index.settings import Settings
from index.store import IndexStore

SECRET = "机密口令：火星基地七号仓库的钥匙在门垫下面。这一行绝不能进入索引。\n" * 3
SEED_002 = "002_016209cccba9a16d.txt"


def _texts(settings: Settings) -> dict[str, str]:
    store = IndexStore.open_current(settings)
    try:
        return {d.doc_id: (store.db.doc_text(d.doc_id) or ("", ""))[0] for d in store.db.docs()}
    finally:
        store.close()


def _outside(tmp_path: Path, name: str = "secret.txt", text: str = SECRET) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- symbolic links (finding 2) -------------------------------------------------------------
def test_a_link_out_of_the_corpus_is_not_read_and_is_named_in_the_summary(
    fake_settings: Settings, tmp_path: Path
) -> None:
    os.symlink(_outside(tmp_path), fake_settings.corpus_dir / "x.txt")
    s = Assistant(fake_settings).ingest()
    assert "x" not in s.added and not any("火星基地" in t for t in _texts(fake_settings).values())
    notes = dict(s.notes)
    assert "outside the corpus folder" in notes["x.txt"] and "never followed" in notes["x.txt"]
    assert str(tmp_path / "elsewhere") not in notes["x.txt"]  # the target is not revealed


def test_a_link_inside_the_corpus_is_not_followed_either(fake_settings: Settings) -> None:
    os.symlink(fake_settings.corpus_dir / SEED_002, fake_settings.corpus_dir / "again.txt")
    s = Assistant(fake_settings).ingest()
    assert "again" not in s.added and len(s.added) == 5
    assert f"link to {SEED_002} in the corpus folder" in dict(s.notes)["again.txt"]


def test_a_linked_folder_is_reported_not_walked(fake_settings: Settings, tmp_path: Path) -> None:
    _outside(tmp_path)
    os.symlink(tmp_path / "elsewhere", fake_settings.corpus_dir / "more")
    s = Assistant(fake_settings).ingest()
    assert "link to a folder" in dict(s.notes)["more/"] and not any(a.startswith("more") for a in s.added)


def test_a_link_given_on_the_command_line_is_not_followed(fake_settings: Settings, tmp_path: Path) -> None:
    Assistant(fake_settings).ingest()
    link = tmp_path / "elsewhere" / "link.txt"
    link.parent.mkdir()
    os.symlink(fake_settings.corpus_dir / SEED_002, link)
    _, out = run_cli(fake_settings, "ingest", "--json", str(link))
    summary = json.loads(out)
    assert not summary["added"] and not summary["updated"]
    assert "symbolic link" in dict(summary["notes"])[str(link)]


def test_a_report_that_became_a_link_is_taken_out_of_the_index(fake_settings: Settings, tmp_path: Path) -> None:
    Assistant(fake_settings).ingest()
    report = fake_settings.corpus_dir / SEED_002
    report.unlink()
    os.symlink(_outside(tmp_path), report)
    s = Assistant(fake_settings).ingest()
    assert s.removed == [SEED_002.removesuffix(".txt")] and SEED_002 in dict(s.notes)


def test_deleting_a_linked_report_removes_the_link_so_it_does_not_come_back(
    fake_settings: Settings, tmp_path: Path
) -> None:
    assistant = Assistant(fake_settings)
    assistant.ingest()
    report = fake_settings.corpus_dir / SEED_002
    copy = _outside(tmp_path, SEED_002, report.read_text(encoding="utf-8"))
    report.unlink()
    os.symlink(copy, report)  # an index built before links were refused still has it
    deleted = assistant.delete_report("002")
    assert deleted == fake_settings.corpus_dir.resolve() / SEED_002
    assert not report.is_symlink() and copy.exists()  # the link goes, its target stays
    s = Assistant(fake_settings).ingest()
    assert not s.added and "002_016209cccba9a16d" not in {d.doc_id for d in Assistant(fake_settings).docs()}


# -- names (finding 9) ----------------------------------------------------------------------
def test_a_file_from_outside_with_a_corpus_name_does_not_replace_that_report(
    fake_settings: Settings, tmp_path: Path
) -> None:
    Assistant(fake_settings).ingest()
    other = _outside(tmp_path, SEED_002, "另一份报告。内容完全不同。\n")
    _, out = run_cli(fake_settings, "ingest", "--json", str(other))
    summary = json.loads(out)
    assert not summary["updated"] and not summary["added"]
    assert "same name as the corpus report" in dict(summary["failed"])[str(other)]
    assert "天津高新区" in _texts(fake_settings)[SEED_002.removesuffix(".txt")]


def test_a_file_from_outside_is_indexed_with_a_note(fake_settings: Settings, tmp_path: Path) -> None:
    Assistant(fake_settings).ingest()
    other = _outside(tmp_path, "extra.txt", "园区审批改革的另一份简报。\n")
    s = Assistant(fake_settings).ingest([other])
    assert s.added == ["extra"] and "outside the corpus folder" in dict(s.notes)[str(other)]


def test_hidden_report_names_are_reported_not_silently_skipped(fake_settings: Settings) -> None:
    for name in ("..txt", ".draft.md", ".txt"):
        (fake_settings.corpus_dir / name).write_text("园区审批改革。\n", encoding="utf-8")
    (fake_settings.corpus_dir / ".DS_Store").write_bytes(b"\x00\x01")  # not a report type: no message
    (fake_settings.corpus_dir / ".old").mkdir()
    (fake_settings.corpus_dir / ".old" / "a.txt").write_text("园区审批改革。\n", encoding="utf-8")
    s = Assistant(fake_settings).ingest()
    notes = dict(s.notes)
    assert "hidden folder" in notes[".old/"] and len(s.added) == 5
    assert {"..txt", ".draft.md", ".txt"} <= notes.keys() and ".DS_Store" not in notes
    assert all("hidden name" in notes[n] for n in ("..txt", ".draft.md", ".txt"))


def test_control_and_bidi_characters_in_a_name_are_refused_with_a_readable_message(fake_settings: Settings) -> None:
    for name in ("evil\u202etxt.exe.txt", "two\nlines.txt", "zero\u200bwidth.txt"):
        (fake_settings.corpus_dir / name).write_text("园区审批改革。\n", encoding="utf-8")
    s = Assistant(fake_settings).ingest()
    failed = dict(s.failed)
    assert "U+202E (RIGHT-TO-LEFT OVERRIDE)" in failed["evil\\u202etxt.exe.txt"]
    assert "U+000A" in failed["two\\u000alines.txt"] and "rename it" in failed["two\\u000alines.txt"]
    assert "U+200B" in failed["zero\\u200bwidth.txt"]
    assert len(s.added) == 5
    assert not any(ch in doc_id for doc_id in _texts(fake_settings) for ch in "\u202e\n\u200b")


# -- metadata (finding 8) -------------------------------------------------------------------
def test_a_duplicated_metadata_table_does_not_stop_ingest(fake_settings: Settings) -> None:
    toml = fake_settings.corpus_dir / "reports.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + f'\n["{SEED_002}"]\ntitle = "重复"\n', encoding="utf-8")
    code, out = run_cli(fake_settings, "ingest", "--json")
    summary = json.loads(out)
    assert code == 0 and len(summary["added"]) == 5
    (why,) = [w for rel, w in summary["failed"] if rel == "reports.toml"]
    assert "defined twice" in why and "line" in why
    titles = {d.doc_id: d.meta.title for d in Assistant(fake_settings).docs()}
    assert titles[SEED_002.removesuffix(".txt")] == "天津高新区管理体制改革的实践"  # the first table applies


def test_a_metadata_file_with_a_syntax_error_does_not_stop_ingest(fake_settings: Settings) -> None:
    # `reformqa serve` with a broken file: tests/test_security_audit.py
    (fake_settings.corpus_dir / "reports.toml").write_text('["a.txt"\ntitle = \n', encoding="utf-8")
    code, out = run_cli(fake_settings, "ingest")
    assert code == 0 and "5 added" in out and "reports.toml" in out


# -- rejected files are remembered (finding 6) ------------------------------------------------
def test_a_rejected_file_is_not_read_again_until_it_changes(
    fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.pipeline as pipeline
    from index.loaders import load_file

    junk = fake_settings.corpus_dir / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 64)
    first = dict(Assistant(fake_settings).ingest().failed)
    assert "binary" in first["junk.txt"]

    reads: list[str] = []
    real = load_file

    def counting(path: Path, rel: str, **kwargs: object) -> object:
        reads.append(rel)
        return real(path, rel, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "load_file", counting)
    again = dict(Assistant(fake_settings).ingest().failed)
    assert reads == [] and "binary" in again["junk.txt"] and "skipped as previously rejected" in again["junk.txt"]

    junk.write_bytes(bytes(range(255, -1, -1)) * 64)  # new content: read again
    third = dict(Assistant(fake_settings).ingest().failed)
    assert reads == ["junk.txt"] and "previously rejected" not in third["junk.txt"]


def test_raising_a_limit_retries_a_file_rejected_under_the_old_one(fake_settings: Settings) -> None:
    long = fake_settings.corpus_dir / "long.txt"
    long.write_text("园区审批改革的进展。" * 300, encoding="utf-8")
    tight = fake_settings.model_copy(
        update={"limits": fake_settings.limits.model_copy(update={"max_text_chars": 1000})}
    )
    assert "over the limit of 1,000" in dict(Assistant(tight).ingest().failed)["long.txt"]
    assert "previously rejected" in dict(Assistant(tight).ingest().failed)["long.txt"]
    s = Assistant(fake_settings).ingest()
    assert "long" in s.added


def test_a_corpus_folder_that_is_itself_a_link_is_read(fake_settings: Settings, tmp_path: Path) -> None:
    link = tmp_path / "corpus-link"
    os.symlink(fake_settings.corpus_dir, link)
    s = Assistant(fake_settings.model_copy(update={"corpus_dir": link})).ingest()
    assert len(s.added) == 5 and not s.failed and not any("link" in why for _, why in s.notes)


def test_the_summary_says_what_reading_and_cleaning_removed_per_file(fake_settings: Settings) -> None:
    body = "园区审批改革取得进展,企业办事时间缩短一半。\n" * 30
    data = body.encode() + "联系人张三".encode("gbk") + b"\x00\n" + body.encode()
    (fake_settings.corpus_dir / "mixed.txt").write_bytes(data)
    s = Assistant(fake_settings).ingest()
    notes = dict(s.notes)
    assert "mixed" in s.added and "bytes that are not valid utf-8 replaced" in notes["mixed.txt"]
    code, out = run_cli(fake_settings, "show", "001", "--json")
    shown = json.loads(out)
    summary = notes["001_5fecd174d6647819.txt"]
    listed = [n for n in shown["notes"] if "boilerplate" in n and n != summary]
    assert code == 0 and any("试读结束" in n for n in listed)  # show names each line cleaning dropped
    # The summary counts what `show` lists: one note, naming the kind and how many lines went.
    assert "boilerplate" in summary and str(len(listed)) in summary
