"""The 检索 tab: hybrid excerpt search with report/region/year filters and exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import gradio as gr

from assistant.facade import Assistant
from index.errors import ReformQAError
from index.search import SearchFilter
from ui.export import SearchRun, hits_csv, hits_json, hits_markdown, write_export
from ui.html import notice
from ui.search_view import hits_html, region_choices, report_choices, year_choices


class SearchHandlers:
    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant

    def run(
        self, query: str, reports: list[str] | None, regions: list[str] | None, years: list[int] | None, k: float
    ) -> tuple[Any, ...]:
        """Outputs: results, CSV, Markdown, JSON download buttons."""
        query = (query or "").strip()
        off = gr.update(value=None, interactive=False)
        if not query:
            return hits_html("", []), off, off, off
        flt = SearchFilter(tuple(reports or ()), tuple(regions or ()), tuple(int(y) for y in years or ()))
        try:
            hits = self.assistant.search(query, int(k), flt)
            metas = {d.doc_id: d.meta for d in self.assistant.docs()}
        except ReformQAError as exc:
            return notice("error", "检索失败", str(exc)), off, off, off
        shown = hits_html(query, hits, self.assistant.absent_terms(query, hits), metas)
        return shown, *self.exports(SearchRun(query, hits, flt, datetime.now(), metas))

    @staticmethod
    def exports(run: SearchRun) -> tuple[Any, Any, Any]:
        if not run.hits:
            off = gr.update(value=None, interactive=False)
            return off, off, off
        files = (
            write_export(hits_csv(run), "reformqa-search", ".csv"),
            write_export(hits_markdown(run), "reformqa-search", ".md"),
            write_export(hits_json(run), "reformqa-search", ".json"),
        )
        return tuple(gr.update(value=str(f), interactive=True) for f in files)  # type: ignore[return-value]

    def filters(self) -> tuple[Any, Any, Any]:
        """Fresh choices for the three filters (after page load or a library change)."""
        try:
            rows = self.assistant.docs()
        except ReformQAError:
            rows = []
        return (
            gr.update(choices=report_choices(rows)),
            gr.update(choices=region_choices(rows)),
            gr.update(choices=year_choices(rows)),
        )


@dataclass
class SearchTab:
    handlers: SearchHandlers
    filters: list[gr.Dropdown]


def build(assistant: Assistant) -> SearchTab:
    h = SearchHandlers(assistant)
    with gr.Row():
        query = gr.Textbox(
            label="检索词",
            show_label=False,
            placeholder="关键词或问题，例如：管委会 公司 市场化",
            scale=6,
            elem_id="rq-query",
        )
        go = gr.Button("检索", variant="primary", scale=1, min_width=80, elem_id="rq-search")
    with gr.Row():
        reports = gr.Dropdown(choices=[], multiselect=True, label="报告", elem_id="rq-filter-reports", scale=3)
        regions = gr.Dropdown(choices=[], multiselect=True, label="地区", elem_id="rq-filter-regions", scale=2)
        years = gr.Dropdown(choices=[], multiselect=True, label="年份", elem_id="rq-filter-years", scale=1)
        # A dropdown, not a slider: Gradio's slider carries English tooltips and labels.
        counts = sorted({3, 5, 10, 20, assistant.settings.search.k})
        k = gr.Dropdown(counts, value=assistant.settings.search.k, label="结果数", scale=1, elem_id="rq-k")
    with gr.Row():
        csv_btn = gr.DownloadButton("导出 CSV", size="sm", interactive=False, elem_id="rq-export-csv")
        md_btn = gr.DownloadButton("导出 Markdown", size="sm", interactive=False, elem_id="rq-export-md")
        json_btn = gr.DownloadButton("导出 JSON", size="sm", interactive=False, elem_id="rq-export-json")
    results = gr.HTML(hits_html("", []), elem_id="rq-results", padding=True)

    inputs = [query, reports, regions, years, k]
    outputs = [results, csv_btn, md_btn, json_btn]
    # A changed filter or count searches again (with an empty query it only clears).
    for trigger in (query.submit, go.click, reports.input, regions.input, years.input, k.input):
        trigger(h.run, inputs, outputs, api_visibility="private")
    return SearchTab(h, [reports, regions, years])
