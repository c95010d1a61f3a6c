"""The last stage: citations and the answer's text.

A cited item is the verbatim quote of a report sentence with its span (`cite`), shown in the
question's script (`marked`); `Answer.text` is the answer's blocks flattened (`flatten`);
a declined answer says what is missing and offers the nearest passages as related reading,
never as citations (`declined`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from assistant.answer_types import Answer, AnswerBlock, Citation
from assistant.candidates import Sentence
from assistant.placecheck import PlaceIndex
from assistant.question import Question


def cite(n: int, s: Sentence, places: PlaceIndex | None = None) -> Citation:
    """The verbatim quote of `s` with its span in the cleaned report, labelled with the places
    its section speaks for (003's 衡阳 half: 湖南省, 衡阳市; a national overview: none); without
    a place index, its report's regions."""
    r = s.hit.record
    c = r.chunk
    regions = places.section_regions(c.doc_id, c.section, r.regions) if places is not None else r.regions
    return Citation(n, c.doc_id, r.title, r.rel, c.section_path, s.text, s.start, s.end, regions, c.page_at(s.start))


@lru_cache(maxsize=1)
def _s2t() -> object:
    import opencc

    return opencc.OpenCC("s2t")


def in_script(quote: str, question: Question) -> str:
    """The quote in the question's script (the citation keeps the original)."""
    from index.textnorm import to_simplified

    if has_traditional(question.text):
        return str(_s2t().convert(quote))  # type: ignore[attr-defined]
    return to_simplified(quote)


def has_traditional(text: str) -> bool:
    from index.textnorm import to_simplified

    return to_simplified(text) != text


def marked(c: Citation, question: Question) -> str:
    """One cited item of the answer text: the quote (in the question's script) and its marker."""
    return f"{in_script(c.quote, question).strip()}[{c.n}]"


def flatten(blocks: Sequence[AnswerBlock]) -> str:
    """`Answer.text` from the blocks: paragraphs as runs, bullets as lines, places headed."""
    lines: list[str] = []
    for b in blocks:
        if b.kind == "paragraph" or b.kind == "notice":
            lines.append("".join(b.items))
        elif b.kind == "place":
            lines.append(f"- {b.heading}：" + "".join(b.items))
        elif b.kind == "related":
            lines.append((b.heading or "相关段落（不是对问题的回答）") + "：")
            lines.extend(f"  · {x}" for x in b.items)
        else:
            if b.heading:
                lines.append(b.heading)
            lines.extend(f"- {x}" for x in b.items)
    return "\n".join(lines)


def declined(
    question: Question,
    why: str,
    related: Sequence[Sentence],
    mode: str = "extractive",
    places: PlaceIndex | None = None,
    heading: str = "",
) -> Answer:
    """A declined answer: a notice saying what the reports lack (for the asked place), and
    related reading, which is not cited as the answer: what the place's reports do say on
    the topic, the general practice, or the nearest passages (`heading` says which)."""
    cites = tuple(cite(i, s, places) for i, s in enumerate(related, 1))
    notice = f"{why}，现有报告无法回答这个问题。"
    blocks = [AnswerBlock("notice", (notice,))]
    if cites:
        heading = heading or "以下段落相关但不是对问题的回答，仅供参考"
        blocks.append(AnswerBlock("related", tuple(marked(c, question) for c in cites), heading))
    text = notice + ("以下是最接近的段落，仅供参考。" if cites else "")
    return Answer(
        question.text,
        question.text,
        text,
        False,
        "llm" if mode == "llm" else "extractive",
        (),
        (),
        tuple(blocks),
        question.kind,
        cites,
    )


def paragraphs(citations: Sequence[Citation], question: Question) -> tuple[AnswerBlock, ...]:
    """One paragraph per report, its sentences in reading order."""
    blocks: list[list[str]] = []
    last = None
    for c in citations:
        if c.doc_id != last:
            blocks.append([])
        blocks[-1].append(marked(c, question))
        last = c.doc_id
    return tuple(AnswerBlock("paragraph", tuple(b)) for b in blocks)


def answer_of(question: Question, blocks: tuple[AnswerBlock, ...], citations: tuple[Citation, ...]) -> Answer:
    return Answer(
        question.text, question.text, flatten(blocks), True, "extractive", citations, (), blocks, question.kind
    )
