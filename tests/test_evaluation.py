"""`reformqa eval`: the dialogue format (scored by the rules of the reference scorer,
../shared/eval/check_dialogue.py) and metrics a set cannot measure shown as n/a.

The conversations here are our own, small and made for each rule; the scoring rules are
tested on answers written by hand, and once end to end over the seed index, where the
in-process verdicts must equal those of the same conversations asked over HTTP."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from assistant.answer_types import Answer, Turn
from assistant.facade import Assistant
from evaluation.dialogue import (
    Conversation,
    converse,
    evaluate_dialogue,
    is_dialogue,
    read_conversations,
    score,
)
from evaluation.qa import evaluate
from index.errors import ConfigError
from index.settings import Settings
from index.textnorm import compact
from reformqa.cli import main
from ui.app import create_app

ENV = {"REFORMQA_EMBEDDING__MODEL": "hash:256"}
TIANJIN = "002_016209cccba9a16d.txt"
HENGYANG = "003_c058a78fdbcdfa77.txt"


def _answer(*quotes: tuple[str, str], grounded: bool = True) -> dict[str, Any]:
    """An /api/ask response citing `quotes` as (source file, quote)."""
    cites = [{"n": i, "doc_id": src[:-4], "source": src, "quote": q} for i, (src, q) in enumerate(quotes, 1)]
    return {"question": "q", "resolved_question": "q", "answer": "", "grounded": grounded, "citations": cites}


def _conv(**kw: Any) -> Conversation:
    return Conversation(qid=kw.pop("qid", "t"), kind=kw.pop("kind", "fact"), turns=("问题?",), **kw)


# -- scoring rules ----------------------------------------------------------------------------
def test_decline_required_is_right_only_when_declined() -> None:
    conv = _conv(decline_required=True)
    assert score(conv, _answer(grounded=False)).right
    answered = score(conv, _answer((TIANJIN, "任何内容")))
    assert not answered.right and answered.why == "answered" and not answered.wrong_place


def test_declining_is_wrong_unless_decline_ok() -> None:
    gold = (("002", "基本收入和评价收入"),)
    assert not score(_conv(gold=gold), _answer(grounded=False)).right
    assert score(_conv(gold=gold, decline_ok=True), _answer(grounded=False)).right


def test_a_citation_of_a_forbidden_report_is_a_wrong_place_answer_even_with_the_gold() -> None:
    conv = _conv(gold=(("003", "聘用制"),), forbid_reports=("002",))
    v = score(conv, _answer((HENGYANG, "园区管理岗位实行聘用制"), (TIANJIN, "全员聘任")))
    assert not v.right and v.wrong_place and "002" in v.why
    assert score(conv, _answer((HENGYANG, "园区管理岗位实行聘用制"))).right


def test_a_forbidden_phrase_is_found_after_normalization() -> None:
    conv = _conv(gold=(("002", "多项合一"),), forbid_phrases=("64.5%",))
    # Traditional script, a space and a comma inside the quoted phrase still match it.
    v = score(conv, _answer((TIANJIN, "實行多項合一"), (HENGYANG, "審批環節精簡 64.5%，")))
    assert not v.right and v.wrong_place


def test_gold_needs_that_many_phrases_cited_from_the_right_report() -> None:
    conv = _conv(gold=(("002", "基本收入"), ("002", "评价收入")), need=2)
    assert score(conv, _answer((TIANJIN, "分为基本收入和评价收入"))).right
    one = score(conv, _answer((TIANJIN, "基本收入按月发放")))
    assert not one.right and one.why == "gold 1/2" and not one.wrong_place
    # The phrase in another report's quote does not count for this report.
    assert not score(conv, _answer((HENGYANG, "基本收入和评价收入"))).right


def test_groups_need_one_gold_item_of_each_group() -> None:
    gold = (("002", "多项合一"), ("002", "承诺审批"), ("003", "一枚印章管审批"))
    conv = _conv(gold=gold, groups=((0, 1), (2,)), kind="comparison")
    assert score(conv, _answer((TIANJIN, "承诺审批制度"), (HENGYANG, "一枚印章管审批"))).right
    assert not score(conv, _answer((TIANJIN, "多项合一"), (TIANJIN, "承诺审批制度"))).right


def test_quotes_are_compared_without_pinyin_annotations_and_in_simplified() -> None:
    conv = _conv(gold=(("004", "开发区管理体制改革"),))
    src = "004_e798851dbd215fd1.txt"
    assert score(conv, _answer((src, "深化開發區(qū)管理體制改革"))).right


def test_the_report_is_read_from_the_source_or_the_doc_id() -> None:
    conv = _conv(gold=(("003", "聘用制"),))
    by_doc_id = _answer((HENGYANG, "实行聘用制"))
    by_doc_id["citations"][0]["source"] = "uploads/x.txt"
    assert score(conv, by_doc_id).right
    nowhere = _answer((HENGYANG, "实行聘用制"))
    nowhere["citations"][0].update(source="x.txt", doc_id="x")
    assert not score(conv, nowhere).right


# -- the file format --------------------------------------------------------------------------
def _write(path: Path, rows: Sequence[dict[str, Any] | str]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


def test_dialogue_files_are_told_apart_by_their_turns(tmp_path: Path) -> None:
    dialogue = _write(tmp_path / "d.jsonl", ["", {"qid": "a", "kind": "k", "turns": ["问?"]}])
    qa = _write(tmp_path / "q.jsonl", [{"qid": "a", "q": "问?", "gold": []}])
    assert is_dialogue(dialogue) and not is_dialogue(qa)
    [conv] = read_conversations(dialogue)
    assert conv.turns == ("问?",) and conv.need == 1 and conv.groups is None


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ('{"qid": "a", "kind": "k", "turns": ["问?"]', "not valid JSON"),
        ({"qid": "a", "turns": ["问?"]}, "needs qid, kind, turns"),
        ({"qid": "a", "kind": "k", "turns": []}, "turns is empty"),
        ({"qid": "a", "kind": "k", "turns": ["问?"], "gold": [["002", "x"]], "groups": [[0, 1]]}, "1 gold items"),
    ],
)
def test_a_bad_record_names_the_file_and_line(tmp_path: Path, row: dict[str, Any] | str, says: str) -> None:
    path = _write(tmp_path / "d.jsonl", [{"qid": "ok", "kind": "k", "turns": ["问?"]}, row])
    with pytest.raises(ConfigError, match=says) as err:
        read_conversations(path)
    assert f"{path}:2" in str(err.value)


# -- asking a conversation --------------------------------------------------------------------
class _Recorder:
    """Stands in for the Assistant: records the history each turn is asked with."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, list[Turn]]] = []

    def ask(self, question: str, history: Sequence[Turn] = (), **_: Any) -> Answer:
        self.asked.append((question, list(history)))
        return Answer(question, f"resolved {question}", f"answer {len(self.asked)}", True, "extractive")


def test_each_turn_is_asked_with_the_earlier_answers_as_history() -> None:
    rec = _Recorder()
    conv = Conversation("c", "followup-place", ("天津的?", "那衡阳呢?", "满两年的呢?"))
    last = converse(cast(Assistant, rec), conv)
    assert [q for q, _ in rec.asked] == list(conv.turns)
    assert [len(h) for _, h in rec.asked] == [0, 1, 2]
    history = rec.asked[2][1]
    assert [t.question for t in history] == ["天津的?", "那衡阳呢?"]
    assert [t.answer.resolved_question for t in history] == ["resolved 天津的?", "resolved 那衡阳呢?"]
    assert [t.answer.text for t in history] == ["answer 1", "answer 2"]
    assert last["question"] == "满两年的呢?"


# -- end to end over the seed index -----------------------------------------------------------
ANSWERED = "天津高新区承接了多少项市级权力事项?"
CONVERSATIONS: list[dict[str, Any]] = [
    # Answered from the Tianjin report, which this record forbids: a wrong-place answer.
    {"qid": "w1", "kind": "trap", "turns": [ANSWERED], "forbid_reports": ["002"], "gold": [["002", "市级权力事项"]]},
    {"qid": "u1", "kind": "unanswerable", "turns": ["火星基地的氧气供应怎么解决?"], "decline_required": True},
    {"qid": "f1", "kind": "followup", "turns": [ANSWERED, "那衡阳呢?"], "gold": [["003", "权力"]], "decline_ok": True},
]


def _http_verdicts(client: TestClient, convs: Sequence[Conversation]) -> list[tuple[str, bool, bool]]:
    """What check_dialogue.py does: POST /api/ask with the earlier responses as history."""
    out = []
    for conv in convs:
        history: list[dict[str, Any]] = []
        for q in conv.turns:
            r = client.post("/api/ask", json={"question": q, "history": history})
            assert r.status_code == 200, r.text
            history.append(r.json())
        v = score(conv, history[-1])
        out.append((v.qid, v.right, v.wrong_place))
    return out


def test_in_process_and_http_scores_agree_and_wrong_place_is_counted(seed_index: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "dialogue.jsonl", CONVERSATIONS)
    report = evaluate_dialogue(seed_index, path)
    assert report["conversations"] == 3
    assert report["wrong_place"] >= 1
    assert {"qid": "w1", "kind": "trap"}.items() <= report["failures"][0].items()
    assert report["failures"][0]["wrong_place"]
    assert "u1" not in {f["qid"] for f in report["failures"]}
    assert report["by_kind"]["unanswerable"] == {"right": 1, "total": 1}
    assert sum(k["total"] for k in report["by_kind"].values()) == 3
    assert report["right"] == 3 - len(report["failures"])
    assert report["refusal"]["recall"] == 1.0
    with TestClient(create_app(Assistant(seed_index)), raise_server_exceptions=False) as client:
        over_http = _http_verdicts(client, read_conversations(path))
    failed = {f["qid"]: f for f in report["failures"]}
    in_process = [
        (c["qid"], c["qid"] not in failed, bool(failed.get(c["qid"], {}).get("wrong_place"))) for c in CONVERSATIONS
    ]
    assert in_process == over_http


def _cli_eval(settings: Settings, path: Path, *args: str) -> str:
    base = ["--data-dir", str(settings.data_dir), "--corpus-dir", str(settings.corpus_dir)]
    r = CliRunner().invoke(main, [*base, "eval", str(path), *args], env=ENV)
    assert r.exit_code == 0, r.output
    return r.output


def test_the_cli_reports_a_dialogue_file_by_kind_in_text_and_json(seed_index: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "dialogue.jsonl", CONVERSATIONS[:2])
    text = _cli_eval(seed_index, path)
    assert "by kind: trap 0/1, unanswerable 1/1" in text
    assert "1 answered with another place's facts" in text and "w1 (trap): wrong place/fact" in text
    report = json.loads(_cli_eval(seed_index, path, "--json"))
    assert (report["right"], report["wrong_place"]) == (1, 1)


def test_a_dialogue_set_without_declines_shows_refusal_as_n_a(seed_index: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "dialogue.jsonl", CONVERSATIONS[:1])
    assert "refusal: precision n/a, recall n/a" in _cli_eval(seed_index, path)
    report = json.loads(_cli_eval(seed_index, path, "--json"))
    assert report["refusal"] == {"precision": None, "recall": None}


def test_no_answers_does_not_apply_to_a_dialogue_file(seed_index: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "dialogue.jsonl", CONVERSATIONS[:1])
    base = ["--data-dir", str(seed_index.data_dir), "--corpus-dir", str(seed_index.corpus_dir)]
    r = CliRunner().invoke(main, [*base, "eval", str(path), "--no-answers"], env=ENV)
    assert r.exit_code == 1 and "--no-answers does not apply" in r.output


# -- QA sets: what a set cannot measure is n/a ------------------------------------------------
def test_a_qa_set_without_unanswerable_questions_cannot_measure_refusal(seed_index: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "qa.jsonl", [{"qid": "a", "q": ANSWERED, "gold": [["002", "市级权力事项"]]}])
    out = evaluate(seed_index, path)["answers"]
    assert out["refusal_precision"] is None and out["refusal_recall"] is None
    assert out["cites_gold"] is not None
    assert "refusal_precision n/a, refusal_recall n/a" in _cli_eval(seed_index, path)


def test_a_qa_set_of_unanswerable_questions_cannot_measure_recall_or_citing(
    seed_index: Settings, tmp_path: Path
) -> None:
    path = _write(tmp_path / "qa.jsonl", [{"qid": "u", "q": "火星基地的氧气供应怎么解决?", "unanswerable": True}])
    report = evaluate(seed_index, path)
    assert report["retrieval"]["recall@1"] is None and report["retrieval"]["mrr"] is None
    assert report["answers"]["cites_gold"] is None
    assert report["answers"]["refusal_recall"] == 1.0  # declined: this one it can measure
    assert "recall@1 n/a" in _cli_eval(seed_index, path)


def test_the_json_report_has_each_questions_outcome_to_compare_runs(seed_index: Settings, tmp_path: Path) -> None:
    rows = [
        {"qid": "a", "q": ANSWERED, "gold": [["002", "市级权力事项"]]},
        {"qid": "w", "q": ANSWERED, "gold": [["002", "这句话不在任何报告里"]]},
        {"qid": "u", "q": "火星基地的氧气供应怎么解决?", "unanswerable": True},
    ]
    per = {r["qid"]: r for r in evaluate(seed_index, _write(tmp_path / "qa.jsonl", rows))["per_question"]}
    assert per["a"] == {"qid": "a", "declined": False, "cites_gold": True, "first_citation_has_gold": True}
    assert per["w"]["cites_gold"] is False and per["w"]["declined"] is False
    assert per["u"] == {"qid": "u", "declined": True}


def test_the_own_dialogue_set_is_well_formed_and_its_gold_is_in_the_reports() -> None:
    """bench/data/dialogue_own.jsonl (a held-out proxy written for issue 11): every record has
    the dev file's fields, and every gold phrase occurs in the report it names."""
    root = Path(__file__).resolve().parent.parent
    texts = {p.name[:3]: compact(p.read_text(encoding="utf-8")) for p in (root / "corpus").glob("*.txt")}
    rows = [json.loads(line) for line in (root / "bench/data/dialogue_own.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) == 30 and len({r["qid"] for r in rows}) == 30
    for r in rows:
        assert r["turns"] and r["kind"], r["qid"]
        for report, phrase in r.get("gold", []):
            assert compact(phrase) in texts[report], (r["qid"], phrase)


def test_the_second_own_dialogue_set_is_well_formed_and_its_gold_is_in_the_reports() -> None:
    """bench/data/dialogue_own2.jsonl (a held-out proxy of seed_dialogue_dev2's kinds, written
    for issue 19): every record has a kind, a note and the dev file's fields; every gold and
    forbidden phrase occurs in the reports (gold in the report it names), every comparison
    group indexes its gold, and a place asked in a general-vs-named item is in no report."""
    root = Path(__file__).resolve().parent.parent
    texts = {p.name[:3]: compact(p.read_text(encoding="utf-8")) for p in (root / "corpus").glob("*.txt")}
    rows = [json.loads(line) for line in (root / "bench/data/dialogue_own2.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) == 30 and len({r["qid"] for r in rows}) == 30
    for r in rows:
        assert r["turns"] and r["kind"] and r["note"], r["qid"]
        assert r.get("gold") or r.get("decline_required"), r["qid"]
        for report, phrase in r.get("gold", []):
            assert compact(phrase) in texts[report], (r["qid"], phrase)
        for phrase in r.get("forbid_phrases", []):
            assert any(compact(phrase) in t for t in texts.values()), (r["qid"], phrase)
        for group in r.get("groups", []):
            assert all(0 <= i < len(r["gold"]) for i in group), r["qid"]
    for place in ("杭州", "成都", "青岛"):
        assert not any(place in t for t in texts.values()), place


def test_the_government_notice_questions_quote_the_notice() -> None:
    """bench/data/govnotice_qa.jsonl (bench/govnotice.py): 20 questions whose gold spans occur
    in the notice's reference text in ../shared/realdocs (skipped where that folder is absent)."""
    root = Path(__file__).resolve().parent.parent
    notice = next((root.parent / "shared" / "realdocs").glob("02_*_groundtruth.txt"), None)
    if notice is None:
        pytest.skip("../shared/realdocs is not here")
    text = compact(notice.read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (root / "bench/data/govnotice_qa.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) == 20
    for r in rows:
        assert all(compact(p) in text for _, p in r["gold"]), r["qid"]
