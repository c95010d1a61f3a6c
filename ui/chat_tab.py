"""The 问答 tab: streamed, cited answers; the quoted passage in its report; kept conversations.

The conversation lives in a per-session `gr.State` of `Entry`s and is mirrored into the
browser's localStorage (`gr.BrowserState`), so it survives a reload; the chat is an HTML
view rebuilt from the entries (nothing the browser sends back is rendered unescaped).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.answer_types import Answer
from assistant.facade import Assistant
from index.errors import ReformQAError
from ui import conversations as store_ops
from ui.answer_view import citation, source_missing, source_placeholder, source_view
from ui.chat_view import conversation_html, conversations_html, pending_html
from ui.conversations import Entry, new_id, turns, with_entry
from ui.export import conversation_docx, conversation_markdown, write_export
from ui.html import notice
from ui.locale import user_error
from ui.theme import CHAT_JS, CONVERSATIONS_JS, SOURCE_JS

STORAGE_KEY = "reformqa-conversations"
# The browser state is "encrypted" with this key; it guards nothing (the page has the key)
# but a fixed one keeps conversations readable across server restarts.
STORAGE_SECRET = "reformqa-conversations-v1"


def too_long(assistant: Assistant, question: str) -> str | None:
    limit = assistant.settings.search.max_query_chars
    n = len(question)
    return f"问题太长（{n} 字），上限为 {limit} 字：请只保留问题本身。" if n > limit else None


def _data(evt: gr.EventData) -> dict[str, Any]:
    data = evt._data if isinstance(evt._data, dict) else {}
    return data


def _exports(entries: list[Entry]) -> tuple[Any, Any]:
    if not entries:
        off = gr.update(value=None, interactive=False)
        return off, off
    md = write_export(conversation_markdown(entries), "reformqa-conversation", ".md")
    docx = write_export(conversation_docx(entries), "reformqa-conversation", ".docx")
    return gr.update(value=str(md), interactive=True), gr.update(value=str(docx), interactive=True)


class ChatHandlers:
    """The tab's event handlers, independent of the components (tested directly)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    @staticmethod
    def _outputs(saved: Any, conv_id: str, entries: list[Entry]) -> tuple[Any, ...]:
        """Outputs of a conversation change: chat, entries, conv_id, store, conversation list, 2 exports."""
        return (
            conversation_html(entries),
            entries,
            conv_id,
            saved,
            conversations_html(store_ops.items(saved), conv_id),
            *_exports(entries),
        )

    def _view(self, entries: list[Entry], conv_id: str, store: Any) -> tuple[Any, ...]:
        """The conversation changed: shown, and written to the browser store."""
        return self._outputs(store_ops.save(store, conv_id, entries), conv_id, entries)

    def respond(self, message: str, entries: list[Entry], conv_id: str, store: Any) -> Iterator[tuple[Any, ...]]:
        """Outputs: chat, entries, conv_id, store, conversations, md, docx, textbox."""
        skip7 = (gr.skip(),) * 7
        question = (message or "").strip()
        if not question:
            gr.Warning("请输入问题。", title="提示")
            yield (*skip7, gr.skip())
            return
        conv_id = conv_id or new_id()
        problem = too_long(self.assistant, question)
        if problem:
            yield conversation_html(entries, pending_html(question, error=problem)), *skip7[1:], gr.skip()
            return
        yield conversation_html(entries, pending_html(question)), *skip7[1:], ""
        final: Answer | None = None
        try:
            for partial in self.assistant.ask_stream(question, turns(entries)):
                final = partial
                yield conversation_html(entries, pending_html(question, partial)), *skip7[1:], gr.skip()
        except ReformQAError as exc:
            yield conversation_html(entries, pending_html(question, error=user_error(exc))), *skip7[1:], gr.skip()
            return
        if final is None:
            return
        entry = Entry(new_id(), question, final)
        entries = [*entries, entry]
        yield *self._view(entries, conv_id, store), gr.skip()
        try:
            suggested = tuple(self.assistant.suggest_questions(final))
        except ReformQAError:
            suggested = ()
        if suggested:
            entries = with_entry(entries, entry.id, suggestions=suggested)
            yield *self._view(entries, conv_id, store), gr.skip()

    def restore(self, store: Any) -> tuple[Any, ...]:
        """Page load: the current conversation from the browser, and the list of kept ones."""
        current = store.get("current", "") if isinstance(store, dict) else ""
        entries = store_ops.load(store, current) if current else []
        conv_id = current if entries else new_id()
        return (
            conversation_html(entries),
            entries,
            conv_id,
            conversations_html(store_ops.items(store), conv_id),
            *_exports(entries),
        )

    @staticmethod
    def _switch(store: Any, conv_id: str, entries: list[Entry]) -> tuple[Any, ...]:
        """Make `conv_id` current: outputs of the view, and the source view reset."""
        saved = {"current": conv_id, "items": store_ops.items(store)}
        return (*ChatHandlers._outputs(saved, conv_id, entries), source_placeholder())

    def new_conversation(self, store: Any) -> tuple[Any, ...]:
        """新对话: an empty chat (the current one stays in the list)."""
        return self._switch(store, new_id(), [])

    def conversation_action(self, evt: gr.EventData, store: Any, conv_id: str, entries: list[Entry]) -> tuple[Any, ...]:
        """A click in the list: open a kept conversation, rename one, or delete one (the list
        asked for the confirmation)."""
        data = _data(evt)
        target = data.get("open") or data.get("delete") or data.get("rename")
        if not isinstance(target, str):
            return (gr.skip(),) * 8
        if "rename" in data:
            title = data.get("title")
            if not isinstance(title, str):
                return (gr.skip(),) * 8
            return (*self._outputs(store_ops.rename(store, target, title), conv_id, entries), gr.skip())
        if "delete" not in data:
            return self._switch(store, target, store_ops.load(store, target))
        store = store_ops.delete(store, target)
        if target == conv_id:
            conv_id, entries = new_id(), []
        return self._switch(store, conv_id, entries)

    def show(self, evt: gr.EventData, entries: list[Entry]) -> str:
        """The report text around citation n of answer `turn`, the quote highlighted."""
        data = _data(evt)
        turn, n = data.get("turn"), data.get("cite")
        if not isinstance(turn, int) or not isinstance(n, int) or not 0 <= turn < len(entries):
            return gr.skip()  # type: ignore[no-any-return]
        cited = citation(entries[turn].answer, n)
        if cited is None:
            return notice("warn", f"没有编号为 [{n}] 的引用")
        try:
            row, text, _chunks = self.assistant.show(cited.doc_id)
        except ReformQAError as exc:
            return source_missing(cited, exc)
        return source_view(cited, text, meta=row.meta)

    def feedback(self, evt: gr.EventData, entries: list[Entry], conv_id: str, store: Any) -> tuple[Any, ...]:
        """👍/👎 (and the optional comment) on one answer: stored, and shown as chosen."""
        data = _data(evt)
        entry = next((e for e in entries if e.id == data.get("entry")), None)
        vote, comment = data.get("vote"), data.get("comment", "")
        if entry is None or vote not in ("up", "down") or not isinstance(comment, str):
            return (gr.skip(),) * 7
        try:
            self.assistant.record_feedback(entry.id, entry.answer, str(vote), comment)
        except ReformQAError as exc:
            gr.Warning(f"反馈没有保存：{user_error(exc)}", title="提示")
            return (gr.skip(),) * 7
        # Said beside the buttons (`.rq-thanks`), not in a toast: toasts of several votes
        # stacked over the source view.
        return self._view(with_entry(entries, entry.id, vote=vote, comment=comment.strip()), conv_id, store)

    @staticmethod
    def suggestion(evt: gr.EventData) -> Any:
        question = _data(evt).get("question")
        return question if isinstance(question, str) and question.strip() else gr.skip()


@dataclass
class ChatTab:
    handlers: ChatHandlers
    chat: gr.HTML
    textbox: gr.Textbox
    store: gr.BrowserState
    on_load: tuple[Any, list[Any], list[Any]]
    """(function, inputs, outputs) for `demo.load`: restores the kept conversation."""


def build(assistant: Assistant) -> ChatTab:
    """Create the tab's components inside the current `gr.Tab` and wire their events."""
    h = ChatHandlers(assistant)
    entries = gr.State([])
    conv_id = gr.State("")
    store = gr.BrowserState(store_ops.empty_store(), storage_key=STORAGE_KEY, secret=STORAGE_SECRET)
    with gr.Row(equal_height=False, elem_id="rq-chat-row"):
        with gr.Column(scale=1, min_width=230, elem_id="rq-side"):
            new = gr.Button("新对话", size="sm", elem_id="rq-new", variant="secondary")
            convs = gr.HTML(conversations_html([], ""), elem_id="rq-convs", js_on_load=CONVERSATIONS_JS)
        with gr.Column(scale=4, min_width=320):
            chat = gr.HTML(conversation_html([]), elem_id="rq-chatbot", js_on_load=CHAT_JS, padding=False)
            with gr.Row(elem_id="rq-ask-row"):
                textbox = gr.Textbox(
                    label="问题",
                    show_label=False,
                    placeholder="输入问题，回车发送；可以追问，例如“那衡阳呢？”",
                    elem_id="rq-question",
                    scale=6,
                    lines=1,
                    max_lines=4,
                )
                send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="rq-send")
            with gr.Row():
                export_md = gr.DownloadButton(
                    "导出对话（Markdown）", size="sm", interactive=False, elem_id="rq-export-answer"
                )
                export_docx = gr.DownloadButton(
                    "导出对话（docx）", size="sm", interactive=False, elem_id="rq-export-docx"
                )
        with gr.Column(scale=3, min_width=300, elem_id="rq-source-col"):
            source = gr.HTML(
                source_placeholder(),
                show_label=False,
                container=True,
                padding=True,
                elem_id="rq-source-view",
                js_on_load=SOURCE_JS,
            )

    view = [chat, entries, conv_id, store, convs, export_md, export_docx]
    hidden = {"api_visibility": "private", "show_progress": "hidden"}
    # A question sent while the last answer's next questions are still being checked is
    # asked right after, not dropped (Gradio's default ignores a trigger while its event runs).
    for trigger in (textbox.submit, send.click):
        trigger(
            h.respond,
            [textbox, entries, conv_id, store],
            [*view, textbox],
            trigger_mode="always_last",
            **hidden,  # type: ignore[arg-type]
        )
    chat.click(h.show, [entries], source, **hidden)  # type: ignore[arg-type]
    chat.select(h.suggestion, None, textbox, **hidden).then(  # type: ignore[arg-type]
        h.respond, [textbox, entries, conv_id, store], [*view, textbox], **hidden
    )
    chat.submit(h.feedback, [entries, conv_id, store], view, **hidden)  # type: ignore[arg-type]
    new.click(h.new_conversation, [store], [*view, source], **hidden)  # type: ignore[arg-type]
    convs.click(h.conversation_action, [store, conv_id, entries], [*view, source], **hidden)  # type: ignore[arg-type]
    restore_outputs = [chat, entries, conv_id, convs, export_md, export_docx]
    return ChatTab(h, chat, textbox, store, (h.restore, [store], restore_outputs))
