"""Place-aware retrieval: a place's own evidence, every place of a comparison, spread for
questions across places; and the LangChain retriever on top of it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from settings_kit import hashed_settings

from assistant.facade import Assistant
from assistant.places import Gazetteer
from assistant.question import analyze
from assistant.retriever import ReformRetriever, retrieve
from index.search import SearchFilter
from index.types import Chunk, ChunkRecord, Hit, ReportMeta

HENG = "湖南省衡阳市:深化园区改革"
MIAN = "四川省绵阳市:园区综合改革"
REGIONS = {"tj": ("天津市",), "hm": ("湖南省", "衡阳市", "四川省", "绵阳市"), "hn": ("河南省",)}


def _hit(cid: str, doc: str, section: tuple[str, ...], text: str) -> Hit:
    chunk = Chunk(cid, doc, 0, text, text, section, 0, len(text), 10)
    return Hit(ChunkRecord(chunk, f"report {doc}", f"{doc}.txt", REGIONS[doc]), score=1.0)


# The search's own ranking: 衡阳 first, then 绵阳, then 天津, then 河南.
RANKED = [
    _hit("h1", "hm", (HENG, "一、招商"), "衡阳园区招商引资由园区自主审核。"),
    _hit("h2", "hm", (HENG, "二、审批"), "衡阳推行一枚印章管审批。"),
    _hit("h3", "hm", (HENG, "三、人事"), "衡阳园区实行聘用制。"),
    _hit("m1", "hm", (MIAN, "一、招商引资加法"), "绵阳组建13个企业招商专班。"),
    _hit("m2", "hm", (MIAN, "四、放权赋能除法"), "绵阳下放市县管理权限。"),
    _hit("t1", "tj", ("二、经验",), "天津高新区设立9大招商引资部门。"),
    _hit("t2", "tj", ("三、方向",), "天津高新区推行承诺审批制度。"),
    _hit("n1", "hn", ("一、整合",), "我市开发区管理机构整合为14个。"),
]


@dataclass
class FakeSearch:
    """The hybrid search's contract: the ranked hits the filter allows, k of them."""

    calls: list[tuple[str, int, SearchFilter | None, bool | None]] = field(default_factory=list)

    def __call__(
        self, query: str, k: int | None = None, flt: SearchFilter | None = None, *, diverse: bool | None = None
    ) -> list[Hit]:
        self.calls.append((query, k or 6, flt, diverse))
        allowed = set(flt.reports) if flt and flt.reports else None
        return [h for h in RANKED if allowed is None or h.chunk.doc_id in allowed][: k or 6]


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    docs = [SimpleNamespace(doc_id=d, meta=ReportMeta(title=f"report {d}", regions=r)) for d, r in REGIONS.items()]
    return Gazetteer.build(docs, [h.chunk for h in RANKED])


def test_a_place_retrieves_from_its_own_reports_and_sections(gaz: Gazetteer) -> None:
    search = FakeSearch()
    hits = retrieve(analyze("绵阳的招商引资有哪些做法?", gaz), search, 4, None, gaz)
    assert {h.chunk.doc_id for h in hits} == {"hm"}
    assert search.calls[0][2] == SearchFilter(reports=("hm",))
    # The search ranked 衡阳's sections first; 绵阳's own come first now.
    assert [h.chunk.id for h in hits[:2]] == ["m1", "m2"]


def test_a_place_known_only_from_metadata_restricts_to_its_report(gaz: Gazetteer) -> None:
    hits = retrieve(analyze("河南省的开发区整合成了几个?", gaz), FakeSearch(), 4, None, gaz)
    assert [h.chunk.id for h in hits] == ["n1"]


def test_a_comparison_leaves_no_place_out(gaz: Gazetteer) -> None:
    search = FakeSearch()
    hits = retrieve(analyze("天津和绵阳在招商引资上分别怎么做?", gaz), search, 4, None, gaz)
    ids = [h.chunk.id for h in hits]
    assert {"t1", "m1"} <= set(ids)
    assert not {"h1", "h2", "h3"} & set(ids)  # 衡阳's sections are no one's evidence here
    assert ids.index("m1") < 2 and ids.index("t1") < 2  # interleaved: each place's best first
    per_place = {c[0] for c in search.calls}
    assert any("天津" in q and "绵阳" not in q for q in per_place)
    assert any("绵阳" in q and "天津" not in q for q in per_place)
    assert not any("分别" in q for q in per_place)  # what one place did, not the comparing


def test_two_places_of_one_report_each_bring_their_sections(gaz: Gazetteer) -> None:
    hits = retrieve(analyze("衡阳与绵阳的园区改革有何不同?", gaz), FakeSearch(), 4, None, gaz)
    sections = [h.chunk.section[0] for h in hits]
    assert HENG in sections and MIAN in sections


def test_cross_place_questions_spread_over_reports(gaz: Gazetteer) -> None:
    search = FakeSearch()
    retrieve(analyze("各地在招商引资上有哪些做法?", gaz), search, 6, None, gaz)
    assert search.calls == [("各地在招商引资上有哪些做法?", 6, None, True)]


def test_a_place_no_report_is_about_gets_the_plain_search(gaz: Gazetteer) -> None:
    search = FakeSearch()
    hits = retrieve(analyze("成都高新区的招商部门有几个?", gaz), search, 3, None, gaz)
    assert search.calls[0][2] is None and len(hits) == 3  # related passages only; the answer declines


def test_the_user_filter_still_applies(gaz: Gazetteer) -> None:
    assert retrieve(analyze("绵阳的招商引资怎么做?", gaz), FakeSearch(), 4, SearchFilter(reports=("tj",)), gaz) == []
    hits = retrieve(analyze("绵阳的招商引资怎么做?", gaz), FakeSearch(), 4, SearchFilter(reports=("h",)), gaz)
    assert {h.chunk.doc_id for h in hits} == {"hm"}  # an id prefix, as the CLI accepts


# -- the LangChain retriever over a real (fake-embedder) index of the seed reports -------------------
@pytest.fixture(scope="module")
def seed_assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("places")
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", root / "corpus")
    settings = hashed_settings(root)
    a = Assistant(settings)
    a.ingest()
    return a


def test_langchain_retriever_is_place_aware_with_a_gazetteer(seed_assistant: Assistant) -> None:
    a = seed_assistant
    db = a.searcher.store.db
    gaz = Gazetteer.build(a.docs(), [c for d in a.docs() for c in db.doc_chunks(d.doc_id)])
    docs = ReformRetriever(assistant=a, k=4, gazetteer=gaz).invoke("绵阳的招商引资有哪些做法?")
    assert docs and all(d.metadata["doc_id"].startswith("003") for d in docs)
    assert "绵阳" in docs[0].metadata["section"]
    plain = ReformRetriever(assistant=a, k=4).invoke("绵阳的招商引资有哪些做法?")
    assert len(plain) == 4  # without a gazetteer: the plain hybrid search, as before


def test_a_place_only_mentioned_gets_the_plain_search() -> None:
    """A report that merely names a place (in its text, not its metadata, title or headings)
    is not that place's evidence: the search is not narrowed to it."""
    docs = [SimpleNamespace(doc_id=d, meta=ReportMeta(title=f"report {d}", regions=r)) for d, r in REGIONS.items()]
    chunks = [h.chunk for h in RANKED] + [
        Chunk("x", "tj", 1, "与北京中关村相比。", "与北京中关村相比。", ("三、方向",), 0, 9, 8)
    ]
    gaz = Gazetteer.build(docs, chunks)
    q = analyze("北京的招商引资部门有几个?", gaz)
    assert q.places[0].doc_ids == ("tj",)  # named in 天津's report: not absent
    search = FakeSearch()
    retrieve(q, search, 4, None, gaz)
    assert search.calls[0][2] is None
