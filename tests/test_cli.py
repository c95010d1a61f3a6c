"""`reformqa` through click's runner: the JSON contracts of search and ask (single and
batch), incremental ingest as the summary reports it, and errors as one-line messages
with a non-zero exit code, never a traceback."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reformqa.cli import main

SEEDS = Path(__file__).resolve().parent.parent / "corpus"
ENV = {"REFORMQA_EMBEDDING__MODEL": "hash:256"}
HIT_KEYS = {"rank", "score", "doc_id", "title", "source", "section", "text", "start", "end"}
ANSWER_KEYS = {"question", "resolved_question", "answer", "grounded", "mode", "citations"}
CITATION_KEYS = {"n", "doc_id", "title", "source", "section", "quote", "start", "end", "regions"}
_MARK = re.compile(r"\[(\d+)\]")


class Cli:
    """`reformqa --data-dir … --corpus-dir …` with the hashing embedder."""

    def __init__(self, data_dir: Path, corpus_dir: Path) -> None:
        self.data_dir = data_dir
        self.corpus_dir = corpus_dir

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(
            main,
            ["--data-dir", str(self.data_dir), "--corpus-dir", str(self.corpus_dir), *args],
            input=input,
            env={**ENV, **(env or {})},
        )

    def ok(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> str:
        r = self(*args, input=input, env=env)
        assert r.exit_code == 0, r.output
        return r.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.ok(*args))


def _new_cli(root: Path) -> Cli:
    shutil.copytree(SEEDS, root / "corpus")
    return Cli(root / "data", root / "corpus")


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """The seed reports indexed once for the module through `reformqa ingest` (read-only)."""
    c = _new_cli(tmp_path_factory.mktemp("cli"))
    out = c.ok("ingest", "--quiet")
    assert "5 added" in out
    return c


@pytest.fixture(scope="module")
def texts(cli: Cli) -> dict[str, str]:
    """doc_id → `reformqa show DOC_ID --json` text."""
    return {d["doc_id"]: cli.json("show", d["doc_id"], "--json")["text"] for d in cli.json("docs", "--json")}


def _check_hits(cli: Cli, texts: dict[str, str], out: dict[str, Any], query: str, k: int) -> None:
    assert out["query"] == query
    results = out["results"]
    assert 0 < len(results) <= k
    assert [r["rank"] for r in results] == list(range(1, len(results) + 1))
    for r in results:
        assert set(r) >= HIT_KEYS
        assert isinstance(r["score"], float) and isinstance(r["section"], str)
        assert texts[r["doc_id"]][r["start"] : r["end"]] == r["text"]
        assert (cli.corpus_dir / r["source"]).is_file()


def _check_answer(texts: dict[str, str], out: dict[str, Any]) -> None:
    assert set(out) >= ANSWER_KEYS and isinstance(out["grounded"], bool)
    cits = out["citations"]
    assert [c["n"] for c in cits] == list(range(1, len(cits) + 1))
    assert {int(n) for n in _MARK.findall(out["answer"])} == {c["n"] for c in cits}
    for c in [*cits, *out.get("related", [])]:
        assert set(c) == CITATION_KEYS
        assert texts[c["doc_id"]][c["start"] : c["end"]] == c["quote"]
    assert out["grounded"] == bool(cits)


# -- search -----------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["天津高新区承接了多少项市级权力事项", "開發區管委會的四張清單"])
def test_search_json(cli: Cli, texts: dict[str, str], query: str) -> None:
    _check_hits(cli, texts, cli.json("search", query, "-k", "4", "--json"), query, 4)


def test_search_json_text_stays_in_the_reports_script(cli: Cli, texts: dict[str, str]) -> None:
    out = cli.json("search", "开发区管委会的四张清单", "--report", "004", "--json")
    assert out["results"] and all("開發區" in r["text"] or "管委會" in r["text"] for r in out["results"])


def test_search_filters(cli: Cli, texts: dict[str, str]) -> None:
    out = cli.json("search", "园区管理体制改革", "-k", "8", "--report", "001", "--report", "003", "--json")
    assert {r["doc_id"][:3] for r in out["results"]} <= {"001", "003"}
    out = cli.json("search", "园区管理体制改革", "--region", "四川", "--json")
    assert out["results"] and {r["doc_id"][:3] for r in out["results"]} == {"003"}


def test_search_returns_the_k_setting_by_default(cli: Cli) -> None:
    query = "园区管理体制改革"
    assert len(cli.json("search", query, "--json")["results"]) == 5  # search.k's default
    three = json.loads(cli.ok("search", query, "--json", env={"REFORMQA_SEARCH__K": "3"}))
    assert len(three["results"]) == 3  # the setting, not a default of the command's own


def test_search_text_output(cli: Cli) -> None:
    out = cli.ok("search", "绵阳编制了多少张招商图谱", "-k", "2")
    assert out.startswith("[1] ") and "\n[2] " in out and "招商图谱" in out


def test_search_batch(cli: Cli, texts: dict[str, str], tmp_path: Path) -> None:
    queries = ["天津高新区审批", "衡阳园区投资公司", "開發區管委會的四張清單"]
    qfile = tmp_path / "q.txt"
    qfile.write_text(f"{queries[0]}\n\n{queries[1]}\n   \n{queries[2]}\n", encoding="utf-8")
    lines = cli.ok("search", "--batch", str(qfile), "-k", "3").splitlines()
    assert len(lines) == 3  # blank lines skipped, one JSON object a line
    for q, line in zip(queries, lines, strict=True):
        _check_hits(cli, texts, json.loads(line), q, 3)
    from_stdin = cli.ok("search", "--batch", "-", "-k", "3", input="\n".join(queries)).splitlines()
    assert [json.loads(x)["query"] for x in from_stdin] == queries


def test_search_batch_reports_a_bad_line_and_goes_on(cli: Cli, tmp_path: Path) -> None:
    qfile = tmp_path / "q.txt"
    qfile.write_text("衡阳园区投资公司\n" + "开发区" * 1000 + "\n绵阳招商图谱\n", encoding="utf-8")
    rows = [json.loads(x) for x in cli.ok("search", "--batch", str(qfile)).splitlines()]
    assert [bool(r["results"]) for r in rows] == [True, False, True]
    assert "error" in rows[1] and "max_query_chars" in rows[1]["error"]


# -- ask --------------------------------------------------------------------------------------
def test_ask_json(cli: Cli, texts: dict[str, str]) -> None:
    q = "衡阳高新区副科级岗位竞聘选出了多少人?"
    out = cli.json("ask", q, "--json")
    _check_answer(texts, out)
    assert out["grounded"] is True and out["mode"] == "extractive"
    assert out["question"] == out["resolved_question"] == q
    assert any("30人脱颖而出" in c["quote"] for c in out["citations"])


def test_ask_json_declined(cli: Cli, texts: dict[str, str]) -> None:
    out = cli.json("ask", "火星基地怎么建设?", "--json")
    _check_answer(texts, out)
    assert out["grounded"] is False and out["citations"] == [] and out["related"]


def test_ask_comparison_json(cli: Cli, texts: dict[str, str]) -> None:
    out = cli.json("ask", "哪些地方实行了以岗定薪的薪酬制度?", "--json")
    _check_answer(texts, out)
    assert len(out["comparison"]) >= 2
    assert sorted(n for row in out["comparison"] for n in row["citations"]) == [c["n"] for c in out["citations"]]


def test_ask_text_output(cli: Cli) -> None:
    out = cli.ok("ask", "绵阳对闲置满一年的土地征收多少闲置费?")
    assert "[1]" in out and "参考来源:" in out and "20%" in out
    out = cli.ok("ask", "深圳前海的自贸区政策是什么?")
    assert "无法回答" in out and "相关段落:" in out


def test_ask_batch(cli: Cli, texts: dict[str, str], tmp_path: Path) -> None:
    qfile = tmp_path / "q.txt"
    questions = ["绵阳编制了多少张招商图谱?", "火星基地怎么建设?", "？？？"]
    qfile.write_text("\n".join(questions) + "\n", encoding="utf-8")
    rows = [json.loads(x) for x in cli.ok("ask", "--batch", str(qfile)).splitlines()]
    assert [r["question"] for r in rows] == questions
    for r in rows[:2]:
        _check_answer(texts, r)
    assert [r["grounded"] for r in rows[:2]] == [True, False]
    assert set(rows[2]) == {"question", "error"} and "no words" in rows[2]["error"]


# -- errors -----------------------------------------------------------------------------------
def _one_line_error(r: Result) -> str:
    assert r.exit_code != 0
    assert isinstance(r.exception, SystemExit), r.exception  # handled, not a crash
    assert "Traceback" not in r.output
    msg = r.output.strip()
    assert msg and "\n" not in msg, msg
    return msg


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("search", ""), "empty"),
        (("search", "   ", "--json"), "empty"),
        (("ask", ""), "empty"),
        (("ask", "？？？"), "no words"),
        (("search", "开发区", "--report", "999"), "'999'"),
        (("search", "开发区", "--report", "00"), "several"),
        (("ask", "开发区改革", "--report", "999"), "'999'"),
        (("show", "999"), "'999'"),
        (("remove", "999"), "'999'"),
        (("ask", "开发区改革", "--llm"), "REFORMQA_LLM__BASE_URL"),
        (("search", "开发区" * 1000), "max_query_chars"),
    ],
)
def test_errors_are_one_line_messages(cli: Cli, args: tuple[str, ...], expected: str) -> None:
    assert expected in _one_line_error(cli(*args))


@pytest.mark.parametrize(
    "args", [("search", "开发区"), ("ask", "开发区改革"), ("docs",), ("show", "002"), ("remove", "002")]
)
def test_no_index_yet(tmp_path: Path, args: tuple[str, ...]) -> None:
    c = Cli(tmp_path / "nothing-here", tmp_path / "corpus")
    assert "reformqa ingest" in _one_line_error(c(*args))


def test_a_bad_setting_is_a_one_line_message(cli: Cli) -> None:
    msg = _one_line_error(cli("search", "开发区", env={"REFORMQA_SEARCH__K": "many"}))
    assert "search.k" in msg and "many" in msg


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("search", "--batch", "/no/such/queries.txt"), "does not exist"),
        (("ask", "--batch", "/no/such/questions.txt"), "does not exist"),
        (("search", "开发区", "-k", "0"), "-k"),
        (("search",), "QUERY"),
        (("ask",), "QUESTION"),
    ],
)
def test_usage_errors(cli: Cli, args: tuple[str, ...], expected: str) -> None:
    r = cli(*args)
    assert r.exit_code == 2 and isinstance(r.exception, SystemExit)
    assert "Traceback" not in r.output and expected in r.output


# -- incremental ingest through the CLI -------------------------------------------------------
def _counts(summary: str) -> dict[str, int]:
    """The numbers of `reformqa ingest`'s summary lines."""
    return {
        word: int(n)
        for n, word in re.findall(r"(\d+) (added|updated|unchanged|removed|failed|embedded|reused)", summary)
    }


def test_ingest_summary_tracks_changes(tmp_path: Path) -> None:
    c = _new_cli(tmp_path)
    first = _counts(c.ok("ingest", "--quiet"))
    assert first["added"] == 5 and first["embedded"] > 50 and first["reused"] == 0

    again = _counts(c.ok("ingest", "--quiet"))
    assert again["unchanged"] == 5 and again["embedded"] == 0 and again["added"] == again["updated"] == 0

    path = c.corpus_dir / "003_c058a78fdbcdfa77.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("30人脱颖而出", "31人脱颖而出"), encoding="utf-8")
    edited = _counts(c.ok("ingest", "--quiet"))
    assert edited["updated"] == 1 and edited["unchanged"] == 4
    assert 1 <= edited["embedded"] <= 3 and edited["reused"] > 10
    hits = c.json("search", "衡阳高新区副科级岗位竞聘", "--report", "003", "-k", "10", "--json")["results"]
    assert any("31人脱颖而出" in h["text"] for h in hits)

    (c.corpus_dir / "001_5fecd174d6647819.txt").unlink()
    gone = _counts(c.ok("ingest", "--quiet"))
    assert gone["removed"] == 1 and gone["embedded"] == 0
    assert "001" not in {d["doc_id"][:3] for d in c.json("docs", "--json")}


def test_ingest_json_summary(tmp_path: Path) -> None:
    c = _new_cli(tmp_path)
    s = c.json("ingest", "--json")
    assert len(s["added"]) == 5 and s["chunks_embedded"] == s["chunks_total"] and s["failed"] == []


def test_remove_command(tmp_path: Path) -> None:
    c = _new_cli(tmp_path)
    c.ok("ingest", "--quiet")
    assert c.ok("remove", "002").strip() == "removed 002_016209cccba9a16d"
    assert [d["doc_id"][:3] for d in c.json("docs", "--json")] == ["000", "001", "003", "004"]
    hits = c.json("search", "天津高新区承接了多少项市级权力事项", "-k", "10", "--json")["results"]
    assert hits and all(not h["doc_id"].startswith("002") for h in hits)
    assert "'002'" in _one_line_error(c("search", "天津", "--report", "002"))


def test_fingerprint_mismatch_stops_and_rebuild_fixes(tmp_path: Path) -> None:
    c = _new_cli(tmp_path)
    c.ok("ingest", "--quiet")
    smaller = {"REFORMQA_CHUNKING__MAX_TOKENS": "200"}
    msg = _one_line_error(c("ingest", "--quiet", env=smaller))
    assert "--rebuild" in msg and "other settings" in msg
    assert c.json("docs", "--json")  # the old index still serves
    out = c.ok("ingest", "--quiet", "--rebuild", env=smaller)
    assert "(rebuilt)" in out and _counts(out)["added"] == 5
    assert _counts(c.ok("ingest", "--quiet", env=smaller))["unchanged"] == 5


def test_failed_files_are_named_in_the_summary(tmp_path: Path) -> None:
    c = _new_cli(tmp_path)
    (c.corpus_dir / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    r = c("ingest", "--quiet")
    assert r.exit_code == 0 and "failed: broken.docx" in r.output and _counts(r.stdout)["added"] == 5
