"""The chunker loses nothing, respects the budget, cuts at headings and names them."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

from index.chunking import chunk_document, chunk_spans, segment, token_counter
from index.textnorm import normalize
from index.types import CleanDocument, ReportMeta

SEEDS = Path(__file__).resolve().parent.parent / "corpus"
COUNT = token_counter()


def _doc(text: str, doc_id: str = "d") -> CleanDocument:
    return CleanDocument(doc_id, f"{doc_id}.txt", text, normalize(text), ReportMeta(title="T"), "h")


def _covered(text: str, spans: list[tuple[int, int]]) -> bool:
    mask = [False] * len(text)
    for a, b in spans:
        for i in range(a, b):
            mask[i] = True
    return all(mask[i] or text[i].isspace() for i in range(len(text)))


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")))
@pytest.mark.parametrize("budget", [64, 200, 320])
def test_chunks_cover_all_text_in_order_within_budget(name: str, budget: int) -> None:
    text = (SEEDS / name).read_text(encoding="utf-8")
    chunks = chunk_document(_doc(text), max_tokens=budget, overlap=1)
    assert _covered(text, [(c.start, c.end) for c in chunks])
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)
    for c in chunks:
        assert c.text == text[c.start : c.end]
        assert c.norm == normalize(text)[c.start : c.end]
        assert c.n_tokens == COUNT(c.text) <= budget


def test_sentences_are_whole_unless_longer_than_budget() -> None:
    text = "第一句话很短。第二句话也不长！第三句呢？" * 3
    chunks = chunk_document(_doc(text), max_tokens=20, overlap=0)
    for c in chunks:
        assert c.text[-1] in "。！？", c.text


def test_overlong_sentence_is_cut_at_clauses_then_tokens() -> None:
    long = "，".join(["开发区管理体制改革持续深化"] * 40) + "。"
    chunks = chunk_document(_doc(long), max_tokens=30, overlap=0)
    assert len(chunks) > 3
    assert all(c.n_tokens <= 30 for c in chunks)
    assert _covered(long, [(c.start, c.end) for c in chunks])
    nopunct = "开发区" * 200
    pieces = chunk_document(_doc(nopunct), max_tokens=25, overlap=0)
    assert "".join(c.text for c in pieces) == nopunct


def test_overlap_repeats_last_sentence_within_a_section() -> None:
    text = "".join(f"这是第{i}个句子，内容关于开发区改革。" for i in range(30))
    chunks = chunk_document(_doc(text), max_tokens=60, overlap=1)
    for a, b in itertools.pairwise(chunks):
        assert b.start < a.end  # the next chunk starts inside the previous one


def test_inline_headings_of_seed_000_become_section_paths() -> None:
    text = (SEEDS / "000_f71af6d5c9756e5e.txt").read_text(encoding="utf-8")
    assert text.count("\n") == 0  # one long line with headings run into the text
    chunks = chunk_document(_doc(text), max_tokens=320, overlap=1)
    sections = {c.section_path for c in chunks}
    assert "一、全国高新区改革的背景 › (一)高新区管理体制机制存在的普遍问题" in sections
    assert any(
        s.startswith("三、xx高新区管理体制机制改革的举措及成效 › (四)推行“大部制”模式,深化人事薪酬改革")
        for s in sections
    )
    assert any("四、持续深化高新区改革的路径和建议" in s for s in sections)
    # A chunk never straddles a heading: inside a chunk, headings only come before body text.
    segs = segment(text)
    for c in chunks:
        kinds = [s.is_heading for s in segs if c.start <= s.start < c.end]
        assert kinds == sorted(kinds, reverse=True), c.section_path


def test_heading_kinds_and_levels() -> None:
    text = "报告标题\n第一章 总则\n一、背景\n正文第一句。\n(一)小节\n正文第二句。\n1.要点\n正文第三句。\n二、经验\n正文第四句。"
    chunks = chunk_document(_doc(text), max_tokens=200, overlap=0)
    paths = [c.section for c in chunks]
    assert ("第一章 总则", "一、背景") in paths
    assert ("第一章 总则", "一、背景", "(一)小节") in paths
    assert ("第一章 总则", "一、背景", "(一)小节", "1.要点") in paths
    assert ("第一章 总则", "二、经验") in paths


def test_place_title_lines_sit_above_numbered_sections() -> None:
    text = (SEEDS / "003_c058a78fdbcdfa77.txt").read_text(encoding="utf-8")
    chunks = chunk_document(_doc(text), max_tokens=320, overlap=1)
    assert any(c.section[:1] == ("湖南省衡阳市:持续深化市直园区管理体制改革",) and len(c.section) == 2 for c in chunks)
    assert any(c.section[:1] == ("四川省绵阳市:聚焦打造发展引擎深化园区综合改革",) for c in chunks)


def test_chunk_ids_are_content_hashes() -> None:
    text = "一、背景\n甲乙丙丁。戊己庚辛。\n二、做法\n子丑寅卯。"
    a = chunk_document(_doc(text), max_tokens=50, overlap=0)
    b = chunk_document(_doc(text), max_tokens=50, overlap=0)
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)
    edited = chunk_document(_doc(text.replace("子丑", "午未")), max_tokens=50, overlap=0)
    assert a[0].id == edited[0].id and a[-1].id != edited[-1].id
    other = chunk_document(_doc(text, doc_id="e"), max_tokens=50, overlap=0)
    assert not {c.id for c in a} & {c.id for c in other}


def test_numbers_with_dots_are_not_headings() -> None:
    text = "GDP增长了2.5个百分点。\n占比达到72.7%,成为主引擎。"
    assert not any(s.is_heading for s in segment(text))


def test_spans_are_trimmed_of_whitespace() -> None:
    text = "  一、背景  \n\n   正文句子。  \n"
    for a, b, _ in chunk_spans(text, COUNT, 100, 0):
        assert not text[a].isspace() and not text[b - 1].isspace()
    assert re.sub(r"\s", "", text)


def test_long_unpunctuated_line_is_cut_into_full_pieces_in_linear_time() -> None:
    # 200,000 characters with no sentence or clause mark: `_hard_cut` used to search the
    # whole remaining run for every piece (quadratic: ~30 s here); it now looks a bounded window ahead.
    rng = random.Random(7)
    text = "".join(rng.choice("开发区管理体制改革持续深化园区高新审批服务机构人员薪酬考核") for _ in range(200_000))
    chunks = chunk_document(_doc(text), max_tokens=320, overlap=0)
    assert "".join(c.text for c in chunks) == text
    assert [c.start for c in chunks[1:]] == [c.end for c in chunks[:-1]]
    assert all(c.n_tokens <= 320 for c in chunks)
    # Pieces are as long as the budget allows, as before: one more character would not fit.
    assert all(COUNT(text[c.start : c.end + 1]) > 320 for c in chunks[:-1])


def test_chunk_spans_carry_their_heading_path() -> None:
    text = "一、背景\n甲乙丙丁。\n二、做法\n子丑寅卯。"
    spans = chunk_spans(text, COUNT, 100, 0)
    assert [s.section for s in spans] == [("一、背景",), ("二、做法",)]
    assert text[spans[-1].start : spans[-1].end] == "二、做法\n子丑寅卯。"  # the last chunk is not lost
