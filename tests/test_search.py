"""Hybrid search: results locate their text, scripts do not matter, near-duplicates
collapse, filters restrict, cross-report questions spread, the LangChain retriever
composes, and re-indexing changes exactly what search sees."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda
from settings_kit import hashed_settings

from assistant.facade import Assistant
from assistant.grammar import asks_across as is_cross_report
from assistant.retriever import ReformRetriever, document_to_hit, hit_to_document
from index.embedders import Embedder, HashingEmbedder, Kind
from index.errors import IndexMismatchError, QueryError, UnknownReportError
from index.keyword import tokenize
from index.search import SearchFilter
from index.settings import EmbeddingSettings, Settings
from index.store import IndexStore
from index.textnorm import normalize
from index.types import Hit, Vectors

Q_185 = "天津高新区承接了多少项市级权力事项"
Q_185_HANT = "天津高新區承接了多少項市級權力事項"
Q_PAY = "哪些地方实行了以岗定薪的薪酬制度?"


def _settings(root: Path) -> Settings:
    return hashed_settings(root)


@pytest.fixture(scope="module")
def assistant(seed_index: Settings) -> Assistant:
    """The session's seed index (read-only: tests must not change it)."""
    return Assistant(seed_index)


def _text_of(a: Assistant, doc_id: str) -> str:
    return a.show(doc_id)[1]


def _assert_located(a: Assistant, hits: Sequence[Hit]) -> None:
    """Each hit is the span of its report's cleaned text, from a real file under the corpus."""
    titles = {d.doc_id: d.meta.title for d in a.docs()}
    for h in hits:
        c = h.chunk
        assert _text_of(a, c.doc_id)[c.start : c.end] == c.text
        assert (a.settings.corpus_dir / h.record.rel).is_file()
        assert h.record.title == titles[c.doc_id]
        assert c.norm == normalize(c.text)


# -- results ----------------------------------------------------------------------------------
@pytest.mark.parametrize("query", [Q_185, Q_PAY, "開發區管委會的四張清單", "绵阳招商图谱"])
def test_hits_are_spans_of_their_reports(assistant: Assistant, query: str) -> None:
    hits = assistant.search(query, 5)
    assert hits
    _assert_located(assistant, hits)


def test_the_answer_passage_ranks_first(assistant: Assistant) -> None:
    top = assistant.search(Q_185, 3)
    assert top[0].chunk.doc_id.startswith("002")
    assert any("185项" in h.chunk.text for h in top)


@pytest.mark.parametrize("k", [1, 3, 8])
def test_k_results_in_score_order(assistant: Assistant, k: int) -> None:
    hits = assistant.search("开发区管委会机构设置", k, diverse=False)
    assert len(hits) == k
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len({h.chunk.id for h in hits}) == k


def test_matched_terms_are_query_terms_found_in_the_chunk(assistant: Assistant) -> None:
    q_terms = set(tokenize(normalize(Q_185)))
    for h in assistant.search(Q_185, 5):
        assert h.matched_terms
        assert set(h.matched_terms) <= q_terms
        assert all(t in h.chunk.norm for t in h.matched_terms)


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_refused(assistant: Assistant, query: str) -> None:
    with pytest.raises(QueryError, match="empty"):
        assistant.search(query)


def test_overlong_query_is_refused_with_the_limit(assistant: Assistant) -> None:
    with pytest.raises(QueryError, match="max_query_chars"):
        assistant.search("开发区" * 1000)


# -- scripts ----------------------------------------------------------------------------------
def test_traditional_query_finds_simplified_text(assistant: Assistant) -> None:
    hits = assistant.search(Q_185_HANT, 3)
    assert any("185项" in h.chunk.text for h in hits)
    simplified = assistant.search(Q_185, 3)
    assert hits[0].chunk.doc_id == simplified[0].chunk.doc_id
    assert all(t == normalize(t) for h in hits for t in h.matched_terms)  # matched as Simplified


def test_simplified_query_finds_traditional_text(assistant: Assistant) -> None:
    """Report 004 is written in Traditional script; its text is shown as written."""
    hits = assistant.search("岗位工资和绩效工资的薪酬管理", 5)
    trad = [h for h in hits if h.chunk.doc_id.startswith("004")]
    assert trad
    h = trad[0]
    assert {"岗位", "工资", "薪酬"} <= set(h.matched_terms)
    assert "崗位" in h.chunk.text and "崗位" not in h.chunk.norm  # shown Traditional, matched Simplified


# -- near-duplicates --------------------------------------------------------------------------
_PASSAGE = (
    "同时,用好市级已下放权限,2019年全年,天津高新区根据建设发展实际需要承接185项市级权力事项,"
    "涉及开发开放、创新发展、营商环境、生态治理、民生改善、安全生产等多个领域。"
)


def test_repeated_passages_collapse_into_one_result(tmp_path: Path) -> None:
    """A report reposted under another name (same body, another header) gives one result, not two."""
    body = _PASSAGE + "\n\n审批服务推行马上办、就近办、网上办、一次办,审批效率在全市保持领先。\n"
    corpus = tmp_path / "corpus"
    (corpus / "reposts").mkdir(parents=True)
    (corpus / "original.txt").write_text("天津高新区的放权赋能\n\n" + body, encoding="utf-8")
    (corpus / "reposts" / "copy.txt").write_text("转载:天津高新区放权赋能\n\n" + body, encoding="utf-8")
    (corpus / "other.txt").write_text("衡阳高新区率先开展副科级岗位竞聘工作,30人脱颖而出。\n", encoding="utf-8")
    a = Assistant(_settings(tmp_path))
    a.ingest()
    assert {d.rel for d in a.docs()} == {"original.txt", "reposts/copy.txt", "other.txt"}
    hits = a.search(Q_185, 5)
    with_passage = [h for h in hits if "185项市级权力事项" in h.chunk.text]
    assert len(with_passage) == 1
    assert "other.txt" in {h.record.rel for h in hits}  # the other results are still there
    assert with_passage[0].record.rel in {"original.txt", "reposts/copy.txt"}  # source: the path under the corpus


def _overlap(a: Hit, b: Hit) -> float:
    lo, hi = max(a.chunk.start, b.chunk.start), min(a.chunk.end, b.chunk.end)
    shorter = min(a.chunk.end - a.chunk.start, b.chunk.end - b.chunk.start)
    return max(0, hi - lo) / shorter


@pytest.mark.parametrize("query", [Q_185, Q_PAY, "开发区管委会的四张清单", "园区投资公司出资人职责"])
def test_no_two_results_repeat_each_other(assistant: Assistant, query: str) -> None:
    hits = assistant.search(query, 10)
    assert len({normalize(h.chunk.text).strip() for h in hits}) == len(hits)
    for i, a in enumerate(hits):
        for b in hits[i + 1 :]:
            if a.chunk.doc_id == b.chunk.doc_id:
                assert _overlap(a, b) < assistant.settings.search.dedup_threshold


# -- filters ----------------------------------------------------------------------------------
def _doc(a: Assistant, prefix: str) -> str:
    return next(d.doc_id for d in a.docs() if d.doc_id.startswith(prefix))


@pytest.mark.parametrize("form", ["002", "002_016209cccba9a16d", "002_016209cccba9a16d.txt"])
def test_filter_by_report_id_prefix_or_path(assistant: Assistant, form: str) -> None:
    hits = assistant.search("开发区管理体制改革", 5, SearchFilter(reports=(form,)))
    assert len(hits) == 5 and {h.chunk.doc_id for h in hits} == {_doc(assistant, "002")}


def test_filter_by_several_reports(assistant: Assistant) -> None:
    wanted = {_doc(assistant, "001"), _doc(assistant, "003")}
    hits = assistant.search(Q_PAY, 8, SearchFilter(reports=("001", "003")))
    assert hits and {h.chunk.doc_id for h in hits} <= wanted


def test_unknown_or_ambiguous_report_is_an_error(assistant: Assistant) -> None:
    with pytest.raises(UnknownReportError, match=r"'999'.*not in the index"):
        assistant.search("开发区", 5, SearchFilter(reports=("999",)))
    with pytest.raises(UnknownReportError, match="several"):
        assistant.search("开发区", 5, SearchFilter(reports=("00",)))


@pytest.mark.parametrize("region", ["湖南", "四川省", "天津"])
def test_filter_by_region(assistant: Assistant, region: str) -> None:
    expected = {d.doc_id for d in assistant.docs() if any(region in r for r in d.meta.regions)}
    assert expected  # the seed metadata names this region
    hits = assistant.search("园区管理体制改革", 10, SearchFilter(regions=(region,)))
    assert hits and {h.chunk.doc_id for h in hits} <= expected
    assert all(any(region in r for r in h.record.regions) for h in hits)


def test_filter_by_year_and_by_an_absent_region(assistant: Assistant) -> None:
    dated = {d.doc_id for d in assistant.docs() if d.meta.year == 2020}
    hits = assistant.search("园区管理体制改革", 5, SearchFilter(years=(2020,)))
    assert hits and {h.chunk.doc_id for h in hits} <= dated
    assert assistant.search("园区管理体制改革", 5, SearchFilter(regions=("西藏",))) == []


def test_region_filter_ignores_the_script(assistant: Assistant) -> None:
    simplified = assistant.search("园区管理体制改革", 5, SearchFilter(regions=("衡阳",)))
    traditional = assistant.search("园区管理体制改革", 5, SearchFilter(regions=("衡陽",)))
    assert traditional and [h.chunk.id for h in traditional] == [h.chunk.id for h in simplified]


# -- cross-report questions -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "cross"),
    [
        (Q_PAY, True),
        ("各地开发区如何推行管委会加公司模式?", True),
        ("各地開發區如何推行管委會加公司模式?", True),
        ("衡阳和绵阳的园区改革有什么不同?", True),
        ("比较天津与衡阳的审批改革", True),
        ("天津高新区干部工资分为哪两部分?", False),
        ("绵阳编制了多少张招商图谱?", False),
    ],
)
def test_cross_report_questions_are_recognised(query: str, cross: bool) -> None:
    assert is_cross_report(query) is cross


@pytest.mark.parametrize(("query", "at_least"), [(Q_PAY, 3), ("各地开发区如何推行管委会加公司的市场化运营模式?", 2)])
def test_cross_report_questions_cover_several_reports(assistant: Assistant, query: str, at_least: int) -> None:
    hits = assistant.search(query, 5)
    assert len({h.chunk.doc_id for h in hits}) >= at_least
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_diverse_search_takes_the_best_hit_of_each_report_first(assistant: Assistant) -> None:
    ranked = assistant.search(Q_PAY, 9, diverse=False)
    best_of_each: dict[str, str] = {}
    for h in ranked:
        best_of_each.setdefault(h.chunk.doc_id, h.chunk.id)
    assert len(best_of_each) >= 3  # the question is answered by several reports
    spread = assistant.search(Q_PAY, 3, diverse=True)
    assert {h.chunk.id for h in spread} == set(list(best_of_each.values())[:3])
    assert [h.score for h in spread] == sorted((h.score for h in spread), reverse=True)


# -- the LangChain retriever ------------------------------------------------------------------
def test_retriever_returns_documents_with_their_citation_fields(assistant: Assistant) -> None:
    docs = ReformRetriever(assistant=assistant, k=3).invoke(Q_185)
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    hits = assistant.search(Q_185, 3)
    assert [d.metadata["chunk_id"] for d in docs] == [h.chunk.id for h in hits]
    for d in docs:
        m = d.metadata
        assert {"doc_id", "title", "source", "section", "start", "end", "score"} <= set(m)
        assert _text_of(assistant, m["doc_id"])[m["start"] : m["end"]] == d.page_content
        assert (assistant.settings.corpus_dir / m["source"]).is_file()


def test_retriever_composes_in_a_chain(assistant: Assistant) -> None:
    retriever = ReformRetriever(assistant=assistant, k=4, search_filter=SearchFilter(reports=("003",)))

    def cite(docs: list[Document]) -> list[str]:
        return [f"{d.metadata['doc_id']}:{d.metadata['start']}-{d.metadata['end']}" for d in docs]

    chain = retriever | RunnableLambda(cite)
    out = chain.invoke("园区投资公司的出资人职责")
    assert len(out) == 4 and all(x.startswith(_doc(assistant, "003") + ":") for x in out)
    both = chain.batch(["园区投资公司的出资人职责", "招商图谱"])
    assert len(both) == 2 and all(len(x) == 4 for x in both)


def test_documents_convert_back_to_the_same_hits(assistant: Assistant) -> None:
    for h in assistant.search(Q_PAY, 5):
        assert document_to_hit(hit_to_document(h)) == h


# -- what re-indexing does to search ----------------------------------------------------------
class CountingEmbedder(HashingEmbedder):
    """The test embedder, counting the passages it embeds."""

    def __init__(self) -> None:
        super().__init__(256)
        self.passages = 0

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        self.passages += len(texts)
        return super().embed_documents(texts)


class UnusableEmbedder(Embedder):
    """Fails the test if anything loads or uses the model."""

    name = "hash:256"

    @property
    def dim(self) -> int:
        raise AssertionError("the model was used")

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> Vectors:
        raise AssertionError("the model was used")


def test_reindexing_embeds_only_what_changed_and_search_follows(fake_settings: Settings) -> None:
    counting = CountingEmbedder()
    first = Assistant(fake_settings, embedder=counting).ingest()
    assert counting.passages == first.chunks_embedded == first.chunks_total

    unchanged = Assistant(fake_settings, embedder=UnusableEmbedder()).ingest()
    assert unchanged.chunks_embedded == 0 and len(unchanged.unchanged) == 5

    path = fake_settings.corpus_dir / "003_c058a78fdbcdfa77.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("30人脱颖而出", "31人脱颖而出"), encoding="utf-8")
    counting = CountingEmbedder()
    edited = Assistant(fake_settings, embedder=counting).ingest()
    assert edited.updated == ["003_c058a78fdbcdfa77"]
    assert 1 <= counting.passages == edited.chunks_embedded <= 3
    a = Assistant(fake_settings)
    texts = [h.chunk.text for h in a.search("衡阳高新区副科级岗位竞聘", 10)]
    assert any("31人脱颖而出" in t for t in texts) and not any("30人脱颖而出" in t for t in texts)

    (fake_settings.corpus_dir / "002_016209cccba9a16d.txt").unlink()
    removed = Assistant(fake_settings, embedder=UnusableEmbedder()).ingest()
    assert removed.removed == ["002_016209cccba9a16d"] and removed.chunks_embedded == 0
    a = Assistant(fake_settings)
    assert all(not h.chunk.doc_id.startswith("002") for h in a.search(Q_185, 10))
    store = IndexStore.open_current(fake_settings)
    assert store.vectors.all_ids() == store.db.chunk_ids()  # its vectors are gone too
    assert not any(d.startswith("002") for d in store.keyword().doc_ids)


def test_removing_a_report_takes_it_out_of_search(fake_settings: Settings) -> None:
    a = Assistant(fake_settings)
    a.ingest()
    a.remove("002")
    assert "002_016209cccba9a16d" not in {d.doc_id for d in a.docs()}
    assert all(not h.chunk.doc_id.startswith("002") for h in a.search(Q_185, 10))
    with pytest.raises(UnknownReportError):
        a.search(Q_185, 5, SearchFilter(reports=("002",)))


def test_search_refuses_an_index_built_with_another_model(fake_settings: Settings) -> None:
    Assistant(fake_settings).ingest()
    other = fake_settings.model_copy(update={"embedding": EmbeddingSettings(model="hash:128")})
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        Assistant(other).search(Q_185, 5)


def test_search_is_repeatable(assistant: Assistant) -> None:
    """Same index, same query, same results (the keyword view is cached between queries)."""
    assert [h.chunk.id for h in assistant.search(Q_185, 5)] == [h.chunk.id for h in assistant.search(Q_185, 5)]
