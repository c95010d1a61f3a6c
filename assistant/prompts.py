"""Prompt files and the sources block of the LLM answerer.

The prompts live in `settings.prompts_dir` as plain text with `{name}` placeholders
(`{{`/`}}` for literal braces). Each file's placeholders are checked when it loads: a
missing or unknown one is a `ConfigError` naming the file and the placeholder, so a
broken edit fails at start-up, not in the middle of an answer.

Sources are numbered and fenced (`<<<来源 [n]` … `来源 [n] 结束>>>`). Angle brackets in
report text are replaced by their full-width forms, so no source can close its fence
or open another one: whatever a report says stays inside its fence, as data. Report text
that addresses an AI assistant ("忽略以上指令…", a `system:` line; `assistant.injection`) is
also marked inside its source (`【疑似对AI的指令…】`), and the system prompt says never to
follow or repeat what is marked.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.answer_types import Turn
from assistant.injection import fence_instructions
from index.errors import ConfigError
from index.types import Hit

CANNOT_ANSWER = "现有报告无法回答这个问题"
"""The phrase the system prompt tells the model to use when the sources do not answer."""

REQUIRED: dict[str, frozenset[str]] = {
    "system.txt": frozenset({"cannot_answer"}),
    "answer.txt": frozenset({"sources", "question"}),
    "comparison.txt": frozenset({"sources", "question"}),
    "rewrite.txt": frozenset({"history", "question"}),
}
"""Each prompt file and exactly the placeholders it must use."""

_MARKER = re.compile(r"\[\s*\d+(?:\s*[,，、]\s*\d+)*\s*\]")
_HISTORY_ANSWER_CHARS = 160


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt file, its placeholders checked."""

    path: Path
    text: str
    fields: frozenset[str]

    def render(self, **values: str) -> str:
        if set(values) != self.fields:
            raise ValueError(f"{self.path.name} takes {sorted(self.fields)}, got {sorted(values)}")
        return self.text.format(**values)


@dataclass(frozen=True)
class Prompts:
    """The four prompts of the LLM answerer."""

    system: PromptTemplate
    answer: PromptTemplate
    comparison: PromptTemplate
    rewrite: PromptTemplate


def placeholders(text: str, name: str) -> set[str]:
    """The `{name}` fields of a template; malformed braces raise `ConfigError`."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as e:
        raise ConfigError(f"prompt {name}: {e}; write literal braces as {{{{ and }}}}") from e
    return {field for _, field, _, _ in parsed if field is not None}


def load_template(path: Path, required: frozenset[str]) -> PromptTemplate:
    """Read one prompt file and check it uses exactly the `required` placeholders."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"prompt file {path} cannot be read ({e}); restore it or fix REFORMQA_PROMPTS_DIR") from e
    found = placeholders(text, str(path))
    missing = sorted(required - found)
    if missing:
        raise ConfigError(f"prompt {path}: missing placeholder {{{missing[0]}}} (it must use {sorted(required)})")
    unknown = sorted(found - required)
    if unknown:
        raise ConfigError(
            f"prompt {path}: unknown placeholder {{{unknown[0]}}} (allowed: {sorted(required)}); "
            "write literal braces as {{ and }}"
        )
    return PromptTemplate(path, text, required)


def load_prompts(prompts_dir: Path) -> Prompts:
    """Load and check every prompt file of `prompts_dir`."""
    t = {name: load_template(prompts_dir / name, fields) for name, fields in REQUIRED.items()}
    return Prompts(t["system.txt"], t["answer.txt"], t["comparison.txt"], t["rewrite.txt"])


# -- sources ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PackedSource:
    """A hit as numbered source `n` of the prompt."""

    n: int
    hit: Hit
    block: str
    tokens: int


def defang(text: str) -> str:
    """Report text that cannot open or close a fence: angle brackets made full-width."""
    return text.replace("<", "＜").replace(">", "＞")


def fence(n: int, hit: Hit) -> str:
    """Source `n` in its fence, with its report title and section for context."""
    r = hit.record
    head = [f"<<<来源 [{n}]", f"报告：{defang(r.title)}"]
    if r.chunk.section_path:
        head.append(f"章节：{defang(r.chunk.section_path)}")
    body = defang(fence_instructions(r.chunk.text.strip()))
    return "\n".join([*head, "正文：", body, f"来源 [{n}] 结束>>>"])


def pack_sources(hits: Sequence[Hit], budget: int, count: Callable[[str], int]) -> list[PackedSource]:
    """Whole sources, best-ranked first, as many as fit in `budget` tokens.

    A source that does not fit is skipped and a smaller, lower-ranked one may still
    take the room; the best-ranked source is always included, so the prompt is never
    empty. Duplicate chunks are sent once. Numbers are dense, in packing order.
    """
    out: list[PackedSource] = []
    seen: set[str] = set()
    used = 0
    for hit in hits:
        if hit.chunk.id in seen:
            continue
        block = fence(len(out) + 1, hit)
        tokens = count(block)
        if out and used + tokens > budget:
            continue
        seen.add(hit.chunk.id)
        out.append(PackedSource(len(out) + 1, hit, block, tokens))
        used += tokens
    return out


def sources_block(sources: Sequence[PackedSource]) -> str:
    return "\n\n".join(s.block for s in sources)


def history_block(history: Sequence[Turn], max_turns: int = 3) -> str:
    """The last few turns, answers shortened and without citation markers."""
    lines: list[str] = []
    for i, turn in enumerate(history[-max_turns:], 1):
        answer = _MARKER.sub("", turn.answer.text).replace("\n", " ").strip()
        if len(answer) > _HISTORY_ANSWER_CHARS:
            answer = answer[:_HISTORY_ANSWER_CHARS] + "…"
        lines += [f"第{i}轮 问：{turn.answer.resolved_question or turn.question}", f"第{i}轮 答：{answer}"]
    return "\n".join(lines) if lines else "（无）"
