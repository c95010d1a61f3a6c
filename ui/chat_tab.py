"""The 问答 tab: streamed, cited answers; a sources panel; the quoted passage in its report.

The conversation lives in a per-session `gr.State` of `Turn`s; the chatbot is only its view
(rebuilt from the turns, so nothing the browser sends back is ever rendered).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import gradio as gr

from assistant.answer_types import Answer, Turn
from assistant.facade import Assistant
from index.errors import ReformQAError
from ui.answer_view import (
    answer_panel,
    chat_markdown,
    citation_choices,
    error_markdown,
    pending_markdown,
    references,
    source_placeholder,
    source_view,
)
from ui.export import answer_markdown, write_export
from ui.html import md_escape, notice
from ui.theme import CITE_CLICK_JS, SHOW_QUOTE_JS

EXAMPLES = (
    "天津高新区承接了多少项市级权力事项？",
    "各地开发区如何推行“管委会+公司”模式？",
    "开发区管委会的四张清单是什么？",
)
PLACEHOLDER = "### 向报告提问\n回答只摘自资料库中的改革报告，每句都标注出处。可以追问，例如“那衡阳呢？”。"

Message = dict[str, str]


def messages_for(turns: list[Turn]) -> list[Message]:
    """The chatbot's value: every question (escaped) and answer (rendered) so far."""
    out: list[Message] = []
    for t in turns:
        out.append({"role": "user", "content": md_escape(t.question)})
        out.append({"role": "assistant", "content": chat_markdown(t.answer)})
    return out


def too_long(assistant: Assistant, question: str) -> str | None:
    limit = assistant.settings.search.max_query_chars
    n = len(question)
    return f"问题太长（{n} 字），上限为 {limit} 字：请只保留问题本身。" if n > limit else None


class ChatHandlers:
    """The tab's event handlers, independent of the components (tested directly)."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def respond(self, message: str, turns: list[Turn]) -> Iterator[tuple[Any, ...]]:
        """Outputs: chatbot, turns, textbox, panel, picker, source, export."""
        question = (message or "").strip()
        if not question:
            gr.Warning("请输入问题。")
            yield (gr.skip(),) * 7
            return
        chat = [*messages_for(turns), {"role": "user", "content": md_escape(question)}]
        problem = too_long(self.assistant, question)
        if problem:
            yield [*chat, {"role": "assistant", "content": error_markdown(problem)}], *(gr.skip(),) * 6
            return
        yield [*chat, {"role": "assistant", "content": pending_markdown()}], gr.skip(), "", *(gr.skip(),) * 4
        final: Answer | None = None
        try:
            for partial in self.assistant.ask_stream(question, turns):
                final = partial
                yield [*chat, {"role": "assistant", "content": chat_markdown(partial)}], *(gr.skip(),) * 6
        except ReformQAError as exc:
            yield [*chat, {"role": "assistant", "content": error_markdown(str(exc))}], *(gr.skip(),) * 6
            return
        if final is None:
            return
        new_turns = [*turns, Turn(question, final)]
        path = write_export(answer_markdown(final), "reformqa-answer", ".md")
        yield (
            messages_for(new_turns),
            new_turns,
            gr.skip(),
            answer_panel(final),
            gr.update(choices=citation_choices(final), value=None),
            source_placeholder(),
            gr.update(value=str(path), interactive=True),
        )

    def clear(self) -> tuple[Any, ...]:
        return (
            [],
            [],
            "",
            answer_panel(None),
            gr.update(choices=[], value=None),
            source_placeholder(),
            gr.update(value=None, interactive=False),
        )

    @staticmethod
    def pick(evt: gr.EventData) -> Any:
        """A click on [n] in the sources panel selects n in the picker (which shows the source)."""
        data = evt._data if isinstance(evt._data, dict) else {}
        cite = data.get("cite")
        return cite if isinstance(cite, int) else gr.skip()

    def show(self, n: int | None, turns: list[Turn]) -> str:
        """The report text around citation n of the latest answer, the quote highlighted."""
        if n is None or not turns:
            return source_placeholder()
        cited = next((c for c in references(turns[-1].answer) if c.n == n), None)
        if cited is None:
            return notice("warn", f"没有编号为 [{n}] 的引用")
        try:
            _row, text, _chunks = self.assistant.show(cited.doc_id)
        except ReformQAError as exc:
            return notice("error", "无法打开这份报告", str(exc))
        return source_view(cited, text)

    @staticmethod
    def example(evt: gr.SelectData) -> str:
        value = evt.value
        return str(value.get("text", "")) if isinstance(value, dict) else str(value)


@dataclass
class ChatTab:
    turns: gr.State
    chatbot: gr.Chatbot
    textbox: gr.Textbox


def build(assistant: Assistant) -> ChatTab:
    """Create the tab's components inside the current `gr.Tab` and wire their events."""
    h = ChatHandlers(assistant)
    turns = gr.State([])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            chatbot = gr.Chatbot(
                label="对话",
                show_label=False,
                elem_id="rq-chatbot",
                height=560,
                placeholder=PLACEHOLDER,
                examples=[{"text": q} for q in EXAMPLES],
                sanitize_html=True,
                render_markdown=True,
                allow_tags=False,
                latex_delimiters=[],
                allow_file_downloads=False,
                feedback_options=None,
                buttons=["copy"],
            )
            with gr.Row():
                textbox = gr.Textbox(
                    show_label=False,
                    placeholder="输入问题，回车发送；可以追问，例如“那衡阳呢？”",
                    elem_id="rq-question",
                    scale=6,
                    lines=1,
                    max_lines=4,
                )
                send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="rq-send")
            with gr.Row():
                clear = gr.Button("清空对话", size="sm", elem_id="rq-clear")
                export = gr.DownloadButton(
                    "导出回答（Markdown）", size="sm", interactive=False, elem_id="rq-export-answer"
                )
        with gr.Column(scale=2):
            panel = gr.HTML(
                answer_panel(None),
                label="回答来源",
                show_label=False,
                container=True,
                padding=True,
                elem_id="rq-answer-panel",
                js_on_load=CITE_CLICK_JS,
                max_height=520,
            )
            picker = gr.Radio(choices=[], label="查看引用原文", elem_id="rq-cite-picker", type="value")
            source = gr.HTML(
                source_placeholder(),
                label="原文",
                show_label=False,
                container=True,
                padding=True,
                elem_id="rq-source-view",
                js_on_load=SHOW_QUOTE_JS,
            )

    outputs = [chatbot, turns, textbox, panel, picker, source, export]
    for trigger in (textbox.submit, send.click):
        trigger(h.respond, [textbox, turns], outputs, api_visibility="private")
    chatbot.example_select(h.example, None, textbox, api_visibility="private").then(
        h.respond, [textbox, turns], outputs, api_visibility="private"
    )
    clear.click(h.clear, None, outputs, api_visibility="private")
    panel.click(h.pick, None, picker, api_visibility="private")
    picker.change(h.show, [picker, turns], source, api_visibility="private")
    return ChatTab(turns, chatbot, textbox)
