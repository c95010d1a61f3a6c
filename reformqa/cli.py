"""`reformqa`: the command line. Errors become a message and exit code 1 here, nowhere else."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from assistant.answer_json import answer_json
from assistant.facade import Assistant
from assistant.render import doc_json, hit_json, page_label, print_answer, print_hits, print_summary
from index.errors import ConfigError, ReformQAError
from index.loaders import decode_bytes
from index.pdf_reader import page_list
from index.search import SearchFilter
from index.settings import ServerSettings, Settings
from index.types import ReportMeta

F = TypeVar("F", bound=Callable[..., Any])


def _edge(fn: F) -> F:
    """Translate project errors into a one-line message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ReformQAError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _settings(ctx: click.Context) -> Settings:
    over: dict[str, Any] = {}
    if ctx.obj.get("data_dir"):
        over["data_dir"] = Path(ctx.obj["data_dir"])
    if ctx.obj.get("corpus_dir"):
        over["corpus_dir"] = Path(ctx.obj["corpus_dir"])
    try:
        return Settings(**over)
    except ValidationError as exc:
        # A bad REFORMQA_* variable: name the setting and the problem on one line.
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '?'}: {err['msg']} (got {err.get('input')!r})"
            for err in exc.errors()
        )
        raise ConfigError(f"invalid setting {problems}; fix the REFORMQA_* environment variable") from exc


def _assistant(ctx: click.Context) -> Assistant:
    if "assistant" not in ctx.obj:
        ctx.obj["assistant"] = Assistant(_settings(ctx))
    return ctx.obj["assistant"]  # type: ignore[no-any-return]


@click.group()
@click.option("--data-dir", type=click.Path(file_okay=False), help="Index location (env REFORMQA_DATA_DIR).")
@click.option("--corpus-dir", type=click.Path(file_okay=False), help="Report folder (default: corpus/).")
@click.pass_context
def main(ctx: click.Context, data_dir: str | None, corpus_dir: str | None) -> None:
    """ReformQA: cited answers from development-zone reform reports."""
    ctx.ensure_object(dict)
    ctx.obj.update(data_dir=data_dir, corpus_dir=corpus_dir)


class _Bar:
    """A progress bar on stderr per stage (read, ocr, embed, keyword); the ocr bar counts the
    pages of the file being read by OCR."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=f"{stage:8}", unit="", file=sys.stderr, leave=True)
        bar.total = total
        bar.n = done
        bar.refresh()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rebuild", is_flag=True, help="Rebuild from scratch (after changing model or chunking).")
@click.option("--wait", default=0.0, help="Seconds to wait for another running ingest.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
@_edge
def ingest(ctx: click.Context, paths: tuple[Path, ...], rebuild: bool, wait: float, as_json: bool, quiet: bool) -> None:
    """Index the reports under PATHS (default: the corpus folder)."""
    bar = _Bar(not quiet and not as_json)
    try:
        summary = _assistant(ctx).ingest(list(paths) or None, rebuild=rebuild, wait=wait, progress=bar)
    finally:
        bar.close()
    if as_json:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_summary(summary)
    if summary.failed and not (summary.added or summary.updated or summary.unchanged):
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_edge
def docs(ctx: click.Context, as_json: bool) -> None:
    """List the indexed reports with metadata and chunk counts."""
    rows = _assistant(ctx).docs()
    if as_json:
        out = [doc_json(d) for d in rows]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    def mark(m: ReportMeta, field: str, value: object) -> str:  # a * marks what was detected in the text
        return f"{value}*" if field in m.detected and value else str(value or "-")

    for d in rows:
        m = d.meta
        place = mark(m, "regions", "、".join(m.regions))
        pages = f", {len(d.page_starts)} pages" if d.page_starts else ""
        ocr = f" (OCR: page{'s' if len(d.ocr_pages) > 1 else ''} {page_list(list(d.ocr_pages))})" if d.ocr_pages else ""
        click.echo(
            f"{d.doc_id}  {mark(m, 'title', m.title)}  [{place}; {mark(m, 'year', m.year)}; {m.kind or '-'}]  "
            f"{d.n_chunks} chunks{pages}{ocr}"
        )
        official = [mark(m, f, getattr(m, f)) for f in ("issuer", "doc_number", "date") if getattr(m, f)]
        if official:
            click.echo("    " + "  ".join(official))
    if any(d.meta.detected for d in rows):
        click.echo("(* detected in the text; reports.toml or the library form overrides it)")


@main.command()
@click.argument("doc_id")
@click.option("--chunks", "with_chunks", is_flag=True, help="Also list the chunks with spans and sections.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_edge
def show(ctx: click.Context, doc_id: str, with_chunks: bool, as_json: bool) -> None:
    """Print the cleaned text of a report (and its chunks)."""
    row, text, chunks = _assistant(ctx).show(doc_id)
    if as_json:
        out: dict[str, Any] = {
            "doc_id": row.doc_id,
            "source": row.rel,
            "title": row.meta.title,
            "text": text,
            "notes": list(row.notes),  # what reading and cleaning removed, line by line
        }
        if with_chunks:
            out["chunks"] = [
                {
                    "id": c.chunk.id,
                    "seq": c.chunk.seq,
                    "section": c.chunk.section_path,
                    "start": c.chunk.start,
                    "end": c.chunk.end,
                    "page": c.chunk.page,
                    "last_page": c.chunk.last_page,
                    "tokens": c.chunk.n_tokens,
                    "text": c.chunk.text,
                }
                for c in chunks
            ]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for note in row.notes:  # on stderr: stdout stays the report's text
        click.secho(f"note: {note}", fg="yellow", err=True)
    click.echo(text)
    if with_chunks:
        for c in chunks:
            ch = c.chunk
            where = page_label(ch.page, ch.last_page)
            click.echo(
                f"\n--- chunk {ch.seq} [{ch.start}:{ch.end}{where}] {ch.n_tokens} tokens  § {ch.section_path or '-'}"
            )
            click.echo(ch.text)


def _lines(path: str) -> Iterator[str]:
    """Non-blank lines of a batch file (or stdin), its encoding detected like a report's."""
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    text, _ = decode_bytes(data, "stdin" if path == "-" else path) if data else ("", "")
    for line in text.splitlines():
        if line.strip():
            yield line


@main.command()
@click.argument("query", required=False)
@click.option(
    "-k", type=click.IntRange(min=1), help="Number of results (default: the search.k setting, REFORMQA_SEARCH__K)."
)
@click.option("--report", "reports", multiple=True, help="Only this report (id or prefix); repeatable.")
@click.option("--region", "regions", multiple=True, help="Only reports about this region; repeatable.")
@click.option("--year", "years", multiple=True, type=int, help="Only reports of this year; repeatable.")
@click.option(
    "--batch",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
    help="File with one query per line (- for stdin).",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_edge
def search(
    ctx: click.Context,
    query: str | None,
    k: int | None,
    reports: tuple[str, ...],
    regions: tuple[str, ...],
    years: tuple[int, ...],
    batch: str | None,
    as_json: bool,
) -> None:
    """Hybrid search over the reports: cited excerpts."""
    flt = SearchFilter(reports, regions, years)
    assistant = _assistant(ctx)
    if batch:
        for q in _lines(batch):
            try:
                out = {"query": q, "results": [hit_json(h, i) for i, h in enumerate(assistant.search(q, k, flt), 1)]}
            except ReformQAError as exc:
                out = {"query": q, "results": [], "error": str(exc)}
            click.echo(json.dumps(out, ensure_ascii=False))
        return
    if query is None:
        raise click.UsageError("give a QUERY or --batch FILE")
    hits = assistant.search(query, k, flt)
    if as_json:
        results = [hit_json(h, i) for i, h in enumerate(hits, 1)]
        click.echo(json.dumps({"query": query, "results": results}, ensure_ascii=False, indent=2))
    else:
        print_hits(query, hits)


@main.command()
@click.argument("doc_id")
@click.pass_context
@_edge
def remove(ctx: click.Context, doc_id: str) -> None:
    """Remove one report from the index (delete its file too, or the next ingest adds it back)."""
    assistant = _assistant(ctx)
    resolved = assistant.resolve_report(doc_id)
    assistant.remove(resolved)
    click.echo(f"removed {resolved}")


@main.command()
@click.argument("question", required=False)
@click.option(
    "--batch",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True),
    help="File with one question per line (- for stdin).",
)
@click.option(
    "--llm/--no-llm", "use_llm", default=None, help="Use the configured LLM endpoint (default: if configured)."
)
@click.option("--report", "reports", multiple=True, help="Only this report; repeatable.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_edge
def ask(
    ctx: click.Context,
    question: str | None,
    batch: str | None,
    use_llm: bool | None,
    reports: tuple[str, ...],
    as_json: bool,
) -> None:
    """Answer a question from the reports, with citations."""
    assistant = _assistant(ctx)
    flt = SearchFilter(reports) if reports else None
    if batch:
        for q in _lines(batch):
            try:
                out = answer_json(assistant.ask(q, use_llm=use_llm, flt=flt))
            except ReformQAError as exc:
                out = {"question": q, "error": str(exc)}
            click.echo(json.dumps(out, ensure_ascii=False))
        return
    if question is None:
        raise click.UsageError("give a QUESTION or --batch FILE")
    answer = assistant.ask(question, use_llm=use_llm, flt=flt)
    if as_json:
        click.echo(json.dumps(answer_json(answer), ensure_ascii=False, indent=2))
    else:
        print_answer(answer)


@main.command()
@click.option("--llm/--no-llm", "use_llm", default=None)
@click.pass_context
@_edge
def chat(ctx: click.Context, use_llm: bool | None) -> None:
    """A conversation in the terminal (empty line or Ctrl-D to quit)."""
    from assistant.answer_types import Turn

    assistant = _assistant(ctx)
    history: list[Turn] = []
    click.echo("ReformQA — 输入问题，空行退出。")
    while True:
        try:
            q = input("问> ").strip()
        except EOFError:
            break
        if not q:
            break
        try:
            answer = assistant.ask(q, history, use_llm=use_llm)
        except ReformQAError as exc:
            click.echo(f"错误: {exc}", err=True)
            continue
        print_answer(answer)
        history.append(Turn(q, answer))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the feedback as JSON.")
@click.pass_context
@_edge
def feedback(ctx: click.Context, as_json: bool) -> None:
    """Feedback on answers from the web app (👍/👎 and comments), newest first."""
    rows = _assistant(ctx).feedback()
    if as_json:
        click.echo(json.dumps([f.to_json() for f in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no feedback yet")
    for f in rows:
        mark = "👍" if f.vote == "up" else "👎"
        click.secho(f"{mark} {f.time}  {f.question}", bold=True)
        if f.resolved_question != f.question:
            click.echo(f"    理解为: {f.resolved_question}")
        if f.comment:
            click.secho(f"    意见: {f.comment}", fg="yellow")
        click.echo(f"    回答: {f.answer}")
        for c in f.citations:
            click.echo(f"    [{c['n']}] {c['title']} ({c['doc_id']} {c['start']}-{c['end']})")


@main.command(name="eval")
@click.argument("qa_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--corpus",
    "corpus",
    type=click.Path(exists=True, path_type=Path),
    help="Corpus folder, or a docs.jsonl (indexed into a separate data directory).",
)
@click.option("-k", default=10, show_default=True)
@click.option("--answers/--no-answers", default=True, help="Also evaluate answers.")
@click.option("--limit", type=int, default=0, help="Only the first N questions.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_edge
def eval_cmd(
    ctx: click.Context, qa_file: Path, corpus: Path | None, k: int, answers: bool, limit: int, as_json: bool
) -> None:
    """Retrieval and answer metrics on a QA set, or, for a dialogue file (records with `turns`),
    each conversation asked turn by turn and its last answer scored by kind (see
    ../shared/eval/README.md)."""
    from evaluation.dialogue import evaluate_dialogue, format_dialogue_report, is_dialogue
    from evaluation.qa import evaluate, format_report

    if is_dialogue(qa_file):
        if not answers:
            raise ConfigError(f"{qa_file} is a dialogue file: it scores answers, so --no-answers does not apply")
        report = evaluate_dialogue(_settings(ctx), qa_file, corpus=corpus, limit=limit)
        text = format_dialogue_report
    else:
        report = evaluate(_settings(ctx), qa_file, corpus=corpus, k=k, answers=answers, limit=limit)
        text = format_report
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else text(report))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Bind address (loopback by default).")
@click.option("--port", default=7860, show_default=True)
@click.option(
    "--no-ingest",
    is_flag=True,
    help="Do not index the corpus before serving (by default it is indexed, and rebuilt if it was "
    "built with other settings).",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    help="Address or network of a reverse proxy whose X-Forwarded-For/-Proto are believed; repeatable "
    "(env REFORMQA_SERVER__TRUSTED_PROXIES). None by default: those headers are ignored.",
)
@click.option(
    "--allowed-origin",
    "allowed_origins",
    multiple=True,
    help="Public origin of the app behind a proxy that rewrites Host (https://qa.example.org); "
    "repeatable (env REFORMQA_SERVER__ALLOWED_ORIGINS).",
)
@click.pass_context
@_edge
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    no_ingest: bool,
    trusted_proxies: tuple[str, ...],
    allowed_origins: tuple[str, ...],
) -> None:
    """Start the web app (chat, excerpts, reports)."""
    # Imported here, not at the top: gradio takes seconds to import and only `serve` needs it.
    from ui.app import serve as serve_app

    if trusted_proxies or allowed_origins:
        ctx.obj["assistant"] = Assistant(_with_server(_settings(ctx), trusted_proxies, allowed_origins))
    assistant = _assistant(ctx)
    if not no_ingest:
        # An index built with other settings (say, before an upgrade changed a default) is
        # rebuilt beside the old one rather than refused: this is the one-command start.
        print_summary(assistant.ingest(rebuild_stale=True, wait=600))
    serve_app(assistant, host=host, port=port)


def _with_server(settings: Settings, trusted: tuple[str, ...], origins: tuple[str, ...]) -> Settings:
    """`settings` with the proxies and origins given on the command line (checked like the environment's)."""
    update = {k: v for k, v in (("trusted_proxies", trusted), ("allowed_origins", origins)) if v}
    try:
        server = ServerSettings(**{**settings.server.model_dump(), **update})
    except ValidationError as exc:
        raise ConfigError(f"invalid serve option: {exc.errors()[0]['msg']}") from exc
    return settings.model_copy(update={"server": server})


if __name__ == "__main__":
    main()
