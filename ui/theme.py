"""Look of the web app: a theme with local CJK fonts (no web-font downloads) and the CSS
for the markup that `ui.answer_view`, `ui.search_view` and `ui.library_view` produce."""

from __future__ import annotations

from typing import Any

FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "system-ui", "sans-serif"]
MONO = ["Noto Sans Mono CJK SC", "ui-monospace", "monospace"]


def theme() -> Any:
    import gradio as gr

    return gr.themes.Soft(primary_hue="blue", neutral_hue="slate", font=FONTS, font_mono=MONO)


CSS = """
.rq-header h1 { margin-bottom: 0; }
.rq-empty { color: var(--body-text-color-subdued); font-style: italic; margin: .5em 0; }
.rq-count { color: var(--body-text-color-subdued); margin: .25em 0 .5em; }
.rq-notice { border-left: 4px solid; border-radius: 6px; padding: .6em .8em; margin: .4em 0;
  background: var(--background-fill-secondary); }
.rq-notice-body { white-space: pre-line; margin-top: .25em; }
.rq-info { border-color: #3b82f6; }
.rq-ok { border-color: #16a34a; }
.rq-warn { border-color: #d97706; background: rgba(245, 158, 11, .12); }
.rq-error { border-color: #dc2626; background: rgba(220, 38, 38, .10); }
.rq-declined .rq-notice { font-size: 1.02em; }
.rq-resolved { background: rgba(59, 130, 246, .10); border-radius: 6px; padding: .45em .7em; margin-bottom: .5em; }
.rq-resolved-q { font-weight: 600; }
.rq-answer h4, .rq-panel-title { margin: .2em 0 .4em; font-weight: 600; }
.rq-sources { padding-left: 0; list-style: none; margin: 0; }
.rq-source-item { margin: .35em 0 .6em; }
.rq-answer blockquote.rq-quote { margin: .25em 0 0 .2em; padding: .2em .6em; border-left: 3px solid var(--border-color-primary);
  color: var(--body-text-color); font-size: .95em; }
.rq-is-declined .rq-quote { border-left-color: #d97706; }
button.rq-cite { display: inline-block; border: 1px solid var(--color-accent); color: var(--color-accent);
  background: transparent; border-radius: 4px; padding: 0 .35em; margin: 0 .1em; font-size: .85em;
  line-height: 1.5; cursor: pointer; }
button.rq-cite:hover, button.rq-cite:focus { background: var(--color-accent); color: white; }
.rq-src-title { font-weight: 600; }
.rq-sec, .rq-meta-line { color: var(--body-text-color-subdued); font-size: .88em; }
.rq-place { color: var(--body-text-color-subdued); font-size: .88em; }
.rq-hint { color: var(--body-text-color-subdued); font-size: .85em; }
.rq-source-head { margin-bottom: .3em; }
.rq-meta { display: grid; grid-template-columns: max-content 1fr; gap: .1em .8em; font-size: .88em; margin: .2em 0 .5em; }
.rq-meta dt { color: var(--body-text-color-subdued); }
.rq-meta dd { margin: 0; }
.rq-source-text { position: relative; white-space: pre-wrap; line-height: 1.75; max-height: 360px; overflow-y: auto;
  padding: .5em .7em; border: 1px solid var(--border-color-primary); border-radius: 6px; }
mark.rq-hl { background: #fde68a; color: #111827; padding: 0 .1em; border-radius: 2px; }
mark.rq-term { background: #bfdbfe; color: #111827; padding: 0 .05em; border-radius: 2px; }
.rq-table { border-collapse: collapse; width: 100%; font-size: .92em; }
.rq-table th, .rq-table td { border: 1px solid var(--border-color-primary); padding: .35em .5em; vertical-align: top;
  text-align: left; }
.rq-table th { background: var(--background-fill-secondary); }
.rq-num { text-align: right; }
.rq-row-place { font-weight: 600; white-space: nowrap; }
.rq-cites { white-space: nowrap; }
.rq-id { font-size: .8em; color: var(--body-text-color-subdued); }
.rq-hits { display: flex; flex-direction: column; gap: .6em; }
.rq-hit { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6em .8em; }
.rq-hit header { margin-bottom: .2em; }
.rq-hit-text { white-space: pre-wrap; line-height: 1.7; margin: .3em 0; }
.rq-badge { display: inline-block; min-width: 1.6em; text-align: center; border-radius: 999px;
  background: var(--color-accent); color: white; font-size: .8em; padding: 0 .4em; }
"""

# Clicks on a [n] button inside the sources panel become a `click` event carrying n.
# Delegated from the component's root, so it survives every re-render of the panel.
CITE_CLICK_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button.rq-cite');
  if (!button || !element.contains(button)) return;
  const n = parseInt(button.dataset.cite || '', 10);
  if (Number.isInteger(n)) trigger('click', {cite: n});
});
"""

# After the source view changes, scroll the highlighted quote into the middle of its box.
SHOW_QUOTE_JS = """
watch('value', () => {
  const mark = element.querySelector('mark.rq-hl');
  const box = element.querySelector('.rq-source-text');
  if (!mark || !box) return;
  box.scrollTop = Math.max(0, mark.offsetTop - box.clientHeight / 3);
  element.scrollIntoView({block: 'nearest'});
});
"""
