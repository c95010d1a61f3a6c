"""End to end with the real embedding model (multilingual-e5-small, converted by
`index/e5convert.py`) on the seed reports: search, scripts, answers and refusals.

The seed corpus is ingested once for the whole module: the model is slow on a small CPU.
Assertions are about behaviour (which report, which passage, answered or declined), never
about scores.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from assistant.answer_types import Answer
from assistant.facade import Assistant
from index.embedders import CachingEmbedder, make_embedder
from index.settings import EmbeddingSettings, Settings
from index.textnorm import compact
from reformqa.cli import main

pytestmark = pytest.mark.model

SEEDS = Path(__file__).resolve().parent.parent / "corpus"
_MARK = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module", params=["default", "torch"])
def assistant(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, model_cache: Path
) -> Iterator[Assistant]:
    """The seed reports indexed once with the real model: the default backend (ONNX int8) and
    plain sentence-transformers on torch, so both stay fit to ship."""
    root = tmp_path_factory.mktemp("model")
    shutil.copytree(SEEDS, root / "corpus")
    settings = Settings(data_dir=root / "data", corpus_dir=root / "corpus", cache_dir=model_cache)
    if request.param != "default":
        settings = settings.model_copy(update={"embedding": EmbeddingSettings(backend=request.param)})
    assert not settings.embedding.model.startswith("hash:")
    a = Assistant(settings)
    summary = a.ingest()
    assert len(summary.added) == 5 and not summary.failed
    yield a


def _check(a: Assistant, ans: Answer) -> None:
    """Markers index citations; every quote is the cleaned report text at its span."""
    assert {int(n) for n in _MARK.findall(ans.text)} == {c.n for c in ans.citations}
    for c in (*ans.citations, *ans.related):
        assert a.show(c.doc_id)[1][c.start : c.end] == c.quote


def _gold_cited(ans: Answer, item: dict[str, object]) -> bool:
    gold = item["gold"]
    assert isinstance(gold, list) and gold
    return all(
        any(c.doc_id.startswith(rep) and compact(phrase) in compact(c.quote) for c in ans.citations)
        for rep, phrase in gold
    )


# -- search -----------------------------------------------------------------------------------
def test_cli_search_puts_the_answer_passage_first(assistant: Assistant) -> None:
    s = assistant.settings
    r = CliRunner().invoke(
        main,
        [
            "--data-dir",
            str(s.data_dir),
            "--corpus-dir",
            str(s.corpus_dir),
            "search",
            "天津高新区承接了多少项市级权力事项",
            "--json",
        ],
        env={"REFORMQA_EMBEDDING__BACKEND": s.embedding.backend},
    )
    assert r.exit_code == 0, r.output
    first = json.loads(r.stdout)["results"][0]
    assert first["doc_id"].startswith("002") and "185项" in first["text"]


def test_traditional_query_finds_the_four_lists_passage(assistant: Assistant) -> None:
    hits = assistant.search("開發區管委會的四張清單", 5)
    assert any(h.chunk.doc_id.startswith("004") and "权责清单" in h.chunk.norm for h in hits)


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("天津高新区干部工资分为哪两部分?", "天津高新區幹部工資分為哪兩部分?"),
        ("绵阳编制了多少张招商图谱?", "綿陽編制了多少張招商圖譜?"),
        ("服务中心与内设机构是什么关系?", "服務中心與內設機構是什麼關係?"),
    ],
)
def test_both_scripts_find_the_same_report(assistant: Assistant, simplified: str, traditional: str) -> None:
    assert assistant.search(simplified, 3)[0].chunk.doc_id == assistant.search(traditional, 3)[0].chunk.doc_id


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("开发区管委会的四张清单", "開發區管委會的四張清單"),
        ("开发区的薪酬管理实行什么模式?", "開發區的薪酬管理實行什麼模式?"),
    ],
)
def test_both_scripts_find_the_traditional_report(assistant: Assistant, simplified: str, traditional: str) -> None:
    assert assistant.search(traditional, 3)[0].chunk.doc_id.startswith("004")
    assert assistant.search(simplified, 3)[0].chunk.doc_id.startswith("004")


def test_a_cross_report_question_covers_the_gold_reports(
    assistant: Assistant, seed_qa: dict[str, dict[str, object]]
) -> None:
    item = seed_qa["d22"]
    gold = item["gold"]
    assert isinstance(gold, list)
    found = {h.chunk.doc_id[:3] for h in assistant.search(str(item["q"]), 5)}
    assert len(found & {rep for rep, _ in gold}) >= 2


# -- answers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("qid", ["d09", "d13", "d17", "d20"])  # d09 is the README example; d20 Traditional
def test_answerable_seed_questions_cite_the_gold_phrase(
    assistant: Assistant, seed_qa: dict[str, dict[str, object]], qid: str
) -> None:
    ans = assistant.ask(str(seed_qa[qid]["q"]))
    assert ans.grounded
    _check(assistant, ans)
    assert _gold_cited(ans, seed_qa[qid]), ans.text


@pytest.mark.parametrize("qid", ["u01", "u02"])
def test_unanswerable_seed_questions_are_declined(
    assistant: Assistant, seed_qa: dict[str, dict[str, object]], qid: str
) -> None:
    assert seed_qa[qid].get("unanswerable")
    ans = assistant.ask(str(seed_qa[qid]["q"]))
    assert ans.grounded is False and not ans.citations and ans.related
    _check(assistant, ans)


def test_a_cross_report_answer_is_grouped_by_place(assistant: Assistant, seed_qa: dict[str, dict[str, object]]) -> None:
    ans = assistant.ask(str(seed_qa["d22"]["q"]))
    assert ans.grounded and len(ans.comparison) >= 2
    assert len({c.doc_id for c in ans.citations}) >= 2
    _check(assistant, ans)


def test_a_comparison_place_that_says_the_topic_in_other_words_gets_its_block(assistant: Assistant) -> None:
    """人事薪酬 in the question, 工资/收入 in Tianjin's report: Tianjin is compared, not said to lack it."""
    ans = assistant.ask("衡阳和天津在人事薪酬上有什么区别?")
    rows = {r.place: r.text for r in ans.comparison}
    assert list(rows) == ["衡阳", "天津"], ans.text
    assert "人事" in rows["衡阳"] and "基本收入" in rows["天津"]
    _check(assistant, ans)


def test_a_places_zone_word_does_not_turn_a_how_question_into_a_list_of_headings(assistant: Assistant) -> None:
    """湘西高新区的内设机构: 高新区 names the place; 000's "三、xx高新区…的举措" heading, which
    shares only that word, is not the section whose sub-headings answer."""
    ans = assistant.ask("湘西高新区的内设机构是怎么改革的?")
    assert ans.grounded and "内设机构" in ans.citations[0].quote, ans.text
    _check(assistant, ans)


def test_a_sentence_vector_is_the_same_whatever_it_is_embedded_with(assistant: Assistant) -> None:
    """The int8 model's output shifts with its batch; answers must not depend on which
    question first embedded a sentence (the cache keeps the first vector)."""
    model = make_embedder(assistant.settings, cached=False)
    s = "二是实行“一枚印章管审批”。"
    long = "健全园区企业全生命周期服务机制,按照“减环节、减材料、减时限、减跑动”的要求,设“园区行政审批专用章”。"
    alone = CachingEmbedder(model).embed_documents([s])[0]
    batched = CachingEmbedder(model).embed_documents([long, s])[1]
    np.testing.assert_allclose(alone, batched, atol=1e-6)
