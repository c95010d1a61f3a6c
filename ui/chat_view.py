"""The conversation as HTML: questions, answers (see `ui.answer_view`), actions and next questions.

Every interactive element carries data attributes that `CHAT_JS` (ui/theme.py) turns into
events: `[n]` → the source view, 👍/👎 and the comment → feedback, a suggested question →
asked. The copy button copies `answer_plain`, clean text with [n] and the sources.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer_types import Answer, Citation
from ui.answer_view import DECLINED_TITLE, RELATED_TITLE, answer_html, blocks_of, is_follow_up, references
from ui.conversations import Entry
from ui.html import empty, esc, places
from ui.provenance import location_line, of_citation

# Material "thumb up" icon (Apache-2.0); 👎 is the same shape turned over. SVG, not emoji:
# machines without an emoji font would show empty boxes.
_THUMB = (
    "<svg viewBox='0 0 24 24' width='14' height='14' aria-hidden='true'{turn}><path fill='currentColor' "
    "d='M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59"
    "C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z'/></svg>"
)
THUMB_UP = _THUMB.format(turn="")
THUMB_DOWN = _THUMB.format(turn=" style='transform: rotate(180deg)'")

STARTERS = (
    "天津高新区承接了多少项市级权力事项？",
    "各地开发区如何推行“管委会+公司”模式？",
    "开发区管委会的四张清单是什么？",
)


# -- plain text (copy) --------------------------------------------------------------------------
def body_plain(answer: Answer) -> list[str]:
    """The answer's text as plain lines: bullets as •, places as 地区：… (markers kept)."""
    lines: list[str] = []
    for b in blocks_of(answer):
        if b.kind == "bullets":
            lines += ([b.heading] if b.heading else []) + [f"• {i}" for i in b.items]
        elif b.kind == "place":
            lines.append(f"{b.heading}：{''.join(b.items)}")
        elif b.kind == "related":
            lines.append(f"（{b.heading or '相关内容，不是这个问题的答案'}）" + "".join(b.items))
        else:
            lines.append("".join(b.items))
    return lines


def reference(c: Citation) -> tuple[str, str]:
    """A source of an answer as (head, quote), the same when copied and in every export:
    `[n] 《title》 section（places；file · 清洗后文本第 a–b 字）` and the quote on one line."""
    section = f" {c.section}" if c.section else ""
    where = f"{places(c.regions)}；{location_line(of_citation(c))}"
    return f"[{c.n}] 《{c.title}》{section}（{where}）", " ".join(c.quote.split())


def source_lines(answer: Answer) -> list[str]:
    refs = references(answer)
    if not refs:
        return []
    out = ["参考来源：" if answer.grounded else f"{RELATED_TITLE}："]
    for c in refs:
        head, quote = reference(c)
        out += [head, f"    “{quote}”"]
    return out


def answer_plain(answer: Answer) -> str:
    """What the copy button copies: no Markdown, no HTML; [n] and the sources kept."""
    lines: list[str] = []
    if is_follow_up(answer):
        lines.append(f"（理解为：{answer.resolved_question}）")
    if answer.note:
        lines.append(answer.note)
    if not answer.grounded:
        lines += [DECLINED_TITLE, answer.text]
    else:
        lines += body_plain(answer)
    refs = source_lines(answer)
    return "\n".join(lines + (["", *refs] if refs else []))


# -- the conversation ---------------------------------------------------------------------------
def _actions(entry: Entry) -> str:
    up = " rq-on" if entry.vote == "up" else ""
    down = " rq-on" if entry.vote == "down" else ""
    comment = ""
    if entry.vote:
        sent = (
            "<span class='rq-thanks' role='status'>已记录，谢谢反馈</span>"
            if entry.comment
            else "<span class='rq-voted' role='status'>已记录</span>"
        )
        comment = (
            "<span class='rq-comment'><input type='text' class='rq-comment-input' maxlength='500' "
            f"placeholder='补充说明（可选），例如哪里不对' value='{esc(entry.comment)}' aria-label='反馈说明'>"
            f"<button type='button' class='rq-comment-send' data-entry='{esc(entry.id)}' data-vote='{entry.vote}'>"
            f"提交说明</button>{sent}</span>"
        )
    return (
        "<div class='rq-actions'>"
        f"<button type='button' class='rq-copy' data-copy='{esc(answer_plain(entry.answer))}' title='复制回答和来源'>"
        "复制</button>"
        f"<button type='button' class='rq-vote{up}' data-entry='{esc(entry.id)}' data-vote='up' "
        f"title='回答有用' aria-pressed='{str(bool(up)).lower()}'>{THUMB_UP} 有用</button>"
        f"<button type='button' class='rq-vote{down}' data-entry='{esc(entry.id)}' data-vote='down' "
        f"title='回答有误或没用' aria-pressed='{str(bool(down)).lower()}'>{THUMB_DOWN} 有误</button>{comment}</div>"
    )


def suggestions_html(questions: Sequence[str], head: str = "接着问") -> str:
    if not questions:
        return ""
    buttons = "".join(
        f"<button type='button' class='rq-suggest' data-q='{esc(q)}'>{esc(q)}</button>" for q in questions
    )
    return f"<div class='rq-next'><span class='rq-next-head'>{esc(head)}</span>{buttons}</div>"


def entry_html(entry: Entry, turn: int, *, last: bool) -> str:
    question = f"<div class='rq-msg rq-user'><div class='rq-bubble'>{esc(entry.question)}</div></div>"
    next_questions = suggestions_html(entry.suggestions)
    if last and not entry.suggestions:
        next_questions = suggestions_html([q for q in STARTERS if q != entry.question], "也可以问")
    answer = (
        f"<div class='rq-msg rq-bot' data-entry='{esc(entry.id)}' data-turn='{turn}'>"
        f"{answer_html(entry.answer, turn)}{_actions(entry)}{next_questions}</div>"
    )
    return question + answer


def pending_html(question: str, partial: Answer | None = None, *, error: str = "") -> str:
    """The question being answered, with the partial answer, a status line or an error."""
    if error:
        body = f"<div class='rq-notice rq-error' role='alert'><strong>出错了</strong><div>{esc(error)}</div></div>"
    elif partial is not None and partial.text:
        body = answer_html(partial)
    else:
        body = "<p class='rq-status'>正在检索报告……</p>"
    return (
        f"<div class='rq-msg rq-user'><div class='rq-bubble'>{esc(question)}</div></div>"
        f"<div class='rq-msg rq-bot rq-pending'>{body}</div>"
    )


def conversation_html(entries: Sequence[Entry], pending: str = "") -> str:
    """The whole conversation; on an empty chat, an introduction and the starter questions."""
    if not entries and not pending:
        intro = (
            "<div class='rq-welcome'><h3>向报告提问</h3><p>回答只摘自资料库中的改革报告，每句都标注出处。"
            "可以追问，例如“那衡阳呢？”。</p></div>"
        )
        return f"<div class='rq-chat'>{intro}{suggestions_html(STARTERS, '试试这些问题')}</div>"
    shown = "".join(entry_html(e, i, last=i == len(entries) - 1 and not pending) for i, e in enumerate(entries))
    return f"<div class='rq-chat'>{shown}{pending}</div>"


# Material "edit" and "delete" icons (Apache-2.0), as SVG for the same reason as the thumbs.
_ICON = "<svg viewBox='0 0 24 24' width='15' height='15' aria-hidden='true'><path fill='currentColor' d='{d}'/></svg>"
PENCIL = _ICON.format(
    d="M3 17.25V21h3.75L17.81 9.94l-3.75-3.75L3 17.25zM20.71 7.04a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0"
    "l-1.83 1.83 3.75 3.75 1.83-1.83z"
)
TRASH = _ICON.format(d="M6 19c0 1.1.9 2 2 2h8c1.1 0 2-.9 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z")


def conversations_html(stored: Sequence[dict[str, object]], current: str) -> str:
    """The list of kept conversations, the current one marked. Each title is cut at the list's
    width (whole in its tooltip); each can be opened, renamed, or deleted after a confirmation
    (`CONVERSATIONS_JS` turns the buttons into the inline rename box and the confirmation)."""
    if not stored:
        return "<h4 class='rq-panel-title'>历史对话</h4>" + empty("还没有保存的对话。")
    rows = []
    for c in stored:
        cid, title = esc(c["id"]), esc(c.get("title", "对话"))
        rows.append(
            f"<li class='rq-conv{' rq-current' if c['id'] == current else ''}' data-id='{cid}' data-title='{title}'>"
            f"<button type='button' class='rq-conv-open' data-id='{cid}' title='{title}'>{title}</button>"
            f"<button type='button' class='rq-conv-rename rq-icon' data-id='{cid}' title='重命名' "
            f"aria-label='重命名对话：{title}'>{PENCIL}</button>"
            f"<button type='button' class='rq-conv-del rq-icon' data-id='{cid}' title='删除这个对话' "
            f"aria-label='删除对话：{title}'>{TRASH}</button></li>"
        )
    return f"<h4 class='rq-panel-title'>历史对话</h4><ul class='rq-convs'>{''.join(rows)}</ul>"
