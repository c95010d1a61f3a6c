"""Follow-up slots: the previous question with one slot replaced (place, attribute,
condition, year), or its subject named for a question that points back (效果怎么样?, 这些做法…).
Used by `assistant.conversation.resolve`, which decides which slot a follow-up changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.grammar import (
    CONNECTOR,
    DEIXIS_WORDS,
    FOLLOW_LEAD,
    GENERIC_FRAME,
    KIND_NOUN,
    NOUNISH,
    NUMERAL,
    PLURAL_REF,
    POINTER,
    REFERENCE,
    WH_WORD,
)
from assistant.places import Gazetteer, canonical_place, pos_words
from assistant.question import Question, analyze
from assistant.question_words import Word, parse
from index.textnorm import normalize


@dataclass(frozen=True)
class Previous:
    """What the previous turn was about."""

    text: str
    """Its resolved question (cut to MAX_TURN_CHARS)."""
    question: Question
    words: tuple[Word, ...]
    places: tuple[str, ...]
    """Places it was about, as written (from its question, else from its answer's citations)."""


def without_places(core: str, cur: Question) -> str:
    """衡阳的奖金 → 奖金: the attribute a place-and-attribute follow-up asks for."""
    rest = core
    for p in cur.places:
        rest = rest.replace(normalize(p.written), "", 1)
    return re.sub(r"^(这个|那个|该)?(省|市|州|县|区)?(高新区|开发区|园区|新区)?的?", "", rest) or core


def points_at_place(cur: Question) -> bool:
    """A place followed by 那边/这边 (天津那边是怎么做的?): it points at the conversation's topic there."""
    norm = cur.norm
    return any(norm.startswith(DEIXIS_WORDS, norm.find(normalize(p.written)) + len(p.written)) for p in cur.places)


def moved(prev: Previous, cur: Question, gaz: Gazetteer) -> Previous:
    """The previous turn with its places replaced by the new ones."""
    text = _replace_places(prev, _written_with_zone(cur, gaz), _has_zone(cur, gaz))
    q = analyze(text, gaz)
    return Previous(text, q, tuple(parse(q.norm, gaz)), tuple(p.written for p in q.places))


def _written_with_zone(cur: Question, gaz: Gazetteer) -> list[str]:
    """The new places as written, each with the zone word after it (天津高新区)."""
    words = parse(cur.norm, gaz)
    out: list[str] = []
    for p in cur.places:
        written = p.written
        norm = normalize(written)
        for i, w in enumerate(words):
            if w.role == "place" and cur.norm[w.start :].startswith(norm):
                nxt = next((x for x in words[i + 1 :] if x.role != "place"), None)
                end = w.start + len(norm)
                if nxt is not None and nxt.role == "zone" and nxt.start == end:
                    written += cur.text[nxt.start : nxt.end]
                elif pointer := POINTER.match(cur.norm, end):
                    written += cur.text[end : pointer.end()] + "的"  # 河南这个市的…
                break
        out.append(written)
    return out


def _has_zone(cur: Question, gaz: Gazetteer) -> bool:
    """The new place comes with a zone word or a pointer (天津高新区, 河南这个市): it replaces the old one's."""
    return any(w.role == "zone" for w in parse(cur.norm, gaz)) or bool(POINTER.search(cur.norm))


def has_noun(cur: Question, gaz: Gazetteer) -> bool:
    """Whether the question names a thing of its own (盘活了多少厂房? does; 取得了什么成效? does not)."""
    return any(
        w.role in ("term", "quote", "number") and (w.flag.startswith(NOUNISH) or w.role != "term")
        for w in parse(cur.norm, gaz)
    )


def _place_spans(prev: Previous, with_zone: bool = False) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for w in prev.words:
        if w.role == "place" or (with_zone and w.role == "zone" and spans and spans[-1][1] == w.start):
            if spans and spans[-1][1] == w.start:
                spans[-1] = (spans[-1][0], w.end)
            else:
                spans.append((w.start, w.end))
    return spans


def _replace_places(prev: Previous, new: list[str], with_zone: bool = False) -> str:
    """The previous question about the new place(s): one name in place of the old ones (with
    its zone word when the new one has one: 衡阳园区 → 天津高新区)."""
    text = prev.text
    joined = join_places(new)
    spans = _place_spans(prev, with_zone)
    if not spans:
        lead = "" if text.startswith(("高新区", "开发区", "园区", "新区", "在")) else "的"
        return f"{joined}{lead}{text}"
    first, rest = spans[0], spans[1:]
    pieces = [text[: first[0]], joined]
    pos = _after_pointer(text, first[1])
    for s, e in rest:
        between = text[pos:s]
        if between.strip(CONNECTOR) == "":  # 天津和衡阳: the connector goes with the old name
            pos = e
            continue
        pieces += [between, joined if len(new) > 1 else text[s:e]]
        pos = e
    pieces.append(text[pos:])
    out = "".join(pieces).replace("的的", "的")
    if len(new) == 1 and len(spans) > 1:
        # One place left: nothing to compare (衡阳和绵阳…有什么不同? → 天津…有什么特点?).
        out = re.sub(r"(分别|各自)", "", out)
        out = re.sub(r"(有什么|有何|有哪些)(不同|区别|差异|异同)", "有什么特点", out)
    return out


def _after_pointer(text: str, pos: int) -> int:
    """Past a pointer that went with the old name (河南这个市 → 湘西, not 湘西这个市)."""
    norm = normalize(text)  # 這個市 too; normalizing keeps the length
    m = POINTER.match(norm, pos)
    if not m:
        return pos
    words = [w for w, _ in pos_words(norm[pos : pos + 8])]
    return m.end() if "".join(words[:2]) == m.group(0) else pos  # not 这个市场


def join_places(names: list[str]) -> str:
    names = list(dict.fromkeys(names))
    if len(names) <= 1:
        return "".join(names)
    return "、".join(names[:-1]) + "和" + names[-1]


def name_the_places(q: str, prev: Previous) -> str:
    """它们/两地/这两个地方 → the previous places (衡阳和绵阳)."""
    if not prev.places:
        return q
    names = join_places(list(prev.places))
    out = PLURAL_REF.sub(names, FOLLOW_LEAD.sub("", q), count=1)
    return out.replace(f"{names}{names}", names)


def _prefix(prev: Previous) -> tuple[str, int]:
    """The previous question's leading context (place, zone word, 的, year) and where its topic starts."""
    end = 0
    for w in prev.words:
        if w.role in ("place", "zone", "stop") or (w.role == "number" and _is_year_word(prev.text, w)):
            end = w.end
            continue
        if w.role == "form" and w.text in ("的", "这个", "那个", "市", "省", "州", "在", "年"):
            end = w.end
            continue
        break
    return prev.text[:end], end


def _is_year_word(text: str, w: Word) -> bool:
    return bool(re.fullmatch(r"(19|20)\d{2}", w.text)) or w.text == "年"


def _topic(prev: Previous) -> tuple[int, int]:
    """Span of the previous question's topic noun phrase after its leading context."""
    _, start = _prefix(prev)
    end = start
    for w in prev.words:
        if w.start < start:
            continue
        nounish = w.role in ("term", "quote") and w.flag.startswith(NOUNISH)
        if nounish or (w.text == "的" and end > start) or (w.role == "number" and end > start):
            end = w.end
            continue
        break
    return start, end


def _subject(prev: Previous) -> str:
    """What the previous question was about, as a noun phrase: 衡阳审批改革, 天津高新区法定机构改革."""
    place = join_places(list(prev.places))
    lead, start = _prefix(prev)
    lead = lead.rstrip("的在")
    if not _place_spans(prev):
        lead = place
    elif lead and not _prefix_ends_with_place(prev, len(lead)):
        lead += "的"  # 河南这个市的开发区: 的 stays after a pointer, goes after a name
    runs: list[list[Word]] = [[]]
    for w in prev.words:
        if w.start < start:
            continue
        if w.role in ("term", "quote"):
            runs[-1].append(w)
        elif runs[-1]:
            runs.append([])
    # The run with the most noun characters, then the longest; on a tie the later one (the
    # object of 推行了哪些放权措施 comes after its verb).
    best = max(
        reversed(runs),
        key=lambda r: (sum(len(w.text) for w in r if w.flag.startswith(NOUNISH)), sum(len(w.text) for w in r)),
    )
    topic = "".join(w.text for w in best) or prev.question.attribute
    return f"{lead}{topic}"


def point_back(q: str, body: str, prev: Previous, gaz: Gazetteer) -> str:
    """效果怎么样? / 这些做法有什么效果? → the previous subject named."""
    subject = _subject(prev)
    if not subject:
        return q
    m = REFERENCE.match(body)
    if m:
        rest = body[m.end() :]
        if re.match(r"^(些|个|种|项)", rest):
            rest = rest[1:]
        noun = re.match(r"^[^\s有是带取起的,，?？]{0,4}", rest)
        head = noun.group(0) if noun else ""
        tail = rest[len(head) :]
        if KIND_NOUN.match(head) and tail.startswith("的"):
            return _ask(f"{subject}{tail}", prev)  # 这些做法的效果 → 衡阳审批改革的效果
        return _ask(f"{subject}的{head}{tail}" if head else f"{subject}{tail}", prev)
    words = [w for w in parse(body, gaz) if w.role != "stop" or w.text.strip()]
    starts_with_noun = (bool(words) and words[0].flag.startswith(NOUNISH) and words[0].role != "form") or (
        bool(words) and words[0].text in ("效果", "成效", "作用", "成果", "影响", "情况")
    )
    return _ask(f"{subject}{'的' if starts_with_noun else ''}{body}", prev)


def _ask(text: str, prev: Previous) -> str:
    """A resolved question still ending in 呢 (它的执法队伍呢?) asks in the previous question's way."""
    m = re.search(r"呢[?？]?$", text)
    if not m:
        return text
    frame = GENERIC_FRAME[prev.question.kind] if prev.question.kind != "fact" else "是怎样的?"
    if frame.startswith("的") and text[: m.start()].endswith("的"):
        frame = frame[1:]
    if re.search(r"(效果|成效|作用|影响)$", text[: m.start()]):
        frame = "怎么样?"
    return text[: m.start()] + frame


def replace_attribute(prev: Previous, new_attr: str, gaz: Gazetteer) -> str:
    """固定资产投资呢? → the previous question with its topic replaced, its frame kept when
    the frame fits the new topic in the reports (else a plain frame of the same kind)."""
    start, end = _topic(prev)
    lead = prev.text[:start]
    tail = prev.text[end:]
    if not lead and prev.places:
        lead = join_places(list(prev.places))
    if lead and not lead.endswith(("的", "年")) and _prefix_ends_with_place(prev, start):
        lead += "的"
    if not _frame_fits(tail, prev, end, new_attr, gaz):
        tail = GENERIC_FRAME[prev.question.kind]
        if tail.startswith("的") and lead.endswith("的"):
            tail = tail[1:]
    return f"{lead}{new_attr}{tail}"


def _prefix_ends_with_place(prev: Previous, start: int) -> bool:
    before = [w for w in prev.words if w.end <= start and w.role != "stop"]
    return bool(before) and before[-1].role in ("place", "zone")


def _frame_fits(tail: str, prev: Previous, end: int, new_attr: str, gaz: Gazetteer) -> bool:
    """The previous frame's own content verbs (整合, 选出) must occur near the new topic in a report."""
    verbs = [
        w.text
        for w in prev.words
        if w.start >= end
        and len(w.text) > 1
        and w.flag.startswith(("v", "n"))
        and w.role in ("term", "form")
        and not re.fullmatch(r"(多少|什么|哪些|怎么|如何|怎样|几个|是否|有没有)", w.text)
    ]
    verbs = [v for v in verbs if v not in ("是", "有")]
    if not tail.strip():
        return False
    return all(gaz.near(new_attr, v) for v in verbs)


def is_condition(phrase: str, gaz: Gazetteer) -> bool:
    """满两年 / 2021年 / 未通过考核 / 新设立: a numeral or a predicate, not a noun (管理机构的)."""
    if re.search(NUMERAL, phrase):
        return True
    words = parse(phrase, gaz)
    return bool(words) and words[0].flag.startswith(("a", "d", "v")) and not words[0].flag.startswith("vn")


def same_kind_word(prev: Previous, cond: str) -> Word | None:
    """The previous question's word of the same kind as `cond`: one that ends the same way
    (国家级 ↔ 省级, 满两年 ↔ 满一年, 2021年 ↔ 2022年), not a place."""
    norm = normalize(cond)
    for w in prev.words:
        if w.role in ("place", "zone", "stop") or len(w.text) < 2 or w.text == norm:
            continue
        if w.text[-1] == norm[-1]:
            return w
    return None


def replace_condition(prev: Previous, cond: str) -> str:
    """满两年的呢? → the previous condition of the same shape (满一年) replaced."""
    parts = re.split(f"({NUMERAL})", cond)
    shape = "".join(NUMERAL if i % 2 else re.escape(p) for i, p in enumerate(parts)) if len(parts) > 1 else None
    text = prev.text
    if shape:
        m = re.search(shape, normalize(text))
        if m:
            return text[: m.start()] + cond + text[m.end() :]
    year = re.fullmatch(r"((?:19|20)\d{2})年?", cond)
    if year:
        m = re.search(r"(19|20)\d{2}年?", text)
        if m:
            return text[: m.start()] + year.group(1) + "年" + text[m.end() :]
    same = same_kind_word(prev, cond)
    if same is not None:
        start, norm = same.start, normalize(text)
        for k in range(len(cond) - 1, 0, -1):  # 满两年 over 满|一年: the shared lead goes too
            if start >= k and norm[start - k : start] == normalize(cond)[:k]:
                start -= k
                break
        return text[:start] + cond + text[same.end :]
    lead, start = _prefix(prev)
    return f"{lead}{cond}的{text[start:]}"


def is_elliptical(cur: Question, gaz: Gazetteer) -> bool:
    """A predicate without a subject (为企业和群众办理了多少件?, 承接了多少项?)."""
    words = [w for w in parse(cur.norm, gaz) if w.role != "stop" or w.text in ("为", "对", "在")]
    if not words:
        return False
    first = words[0]
    if len(words) > 1 and words[1].flag.startswith(("ul", "uz", "ug")):
        return first.role in ("term", "form") and not WH_WORD.search(first.text)  # 办理了… / 放了…
    if first.flag.startswith("vn"):  # 盘活了多少…: a verb in use when an aspect or a count follows
        return len(words) > 1 and words[1].flag.startswith(("ul", "uz", "ug", "m"))
    return first.flag.startswith(("p", "v", "d")) and first.role != "place"


def continues_place_topic(cur: Question, prev: Previous, gaz: Gazetteer) -> bool:
    """评价收入怎么发? after a question about 天津: a question without a place whose topic only
    the previous place's reports hold (else it is a question of its own: 模块化服务包括什么?)."""
    if len(prev.places) != 1 or cur.kind in ("definition", "comparison") or cur.cross_place:
        return False
    own = set(gaz.docs_for(canonical_place(prev.places[0])))
    runs: list[str] = []
    last_end = -1
    for w in parse(cur.norm, gaz):
        if w.role in ("term", "quote"):  # adjacent content words make one phrase (评价收入)
            if runs and w.start == last_end:
                runs[-1] += w.text
            else:
                runs.append(w.text)
            last_end = w.end
    if not own or not runs:
        return False
    found = [gaz.docs_with(r) for r in runs]
    return all(f & own for f in found) and any(f and f <= own for f in found)


def add_subject(q: str, prev: Previous) -> str:
    """为企业和群众办理了多少件? → the previous place (and zone) as its subject."""
    lead = _prefix(prev)[0].rstrip('“「《‘"').rstrip("的")  # not the quote that opened its topic
    if not _place_spans(prev):
        lead = join_places(list(prev.places))
    return f"{lead}{q}"
