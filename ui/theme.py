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
.rq-id { font-size: .8em; color: var(--body-text-color-subdued); }
.rq-hits { display: flex; flex-direction: column; gap: .6em; }
.rq-hit { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6em .8em; }
.rq-hit header { margin-bottom: .2em; }
.rq-hit-text { white-space: pre-wrap; line-height: 1.7; margin: .3em 0; }
.rq-badge { display: inline-block; min-width: 1.6em; text-align: center; border-radius: 999px;
  background: var(--color-accent); color: white; font-size: .8em; padding: 0 .4em; }
/* -- chat (ui/chat_view.py) -- */
#rq-chatbot .rq-chat { max-height: 68vh; overflow-y: auto; position: relative; padding: .3em .6em;
  border: 1px solid var(--border-color-primary); border-radius: 8px; background: var(--background-fill-primary); }
.rq-welcome h3 { margin: .4em 0 .2em; }
.rq-msg { margin: .7em 0; }
.rq-user { display: flex; justify-content: flex-end; }
.rq-bubble { background: var(--color-accent-soft, rgba(59,130,246,.12)); border-radius: 12px; padding: .45em .8em;
  max-width: 85%; white-space: pre-wrap; overflow-wrap: anywhere; }
.rq-bot { line-height: 1.75; overflow-wrap: anywhere; }
.rq-text p { margin: .35em 0; }
.rq-bullets { margin: .3em 0 .3em 1.2em; padding: 0; }
.rq-bullets li { margin: .2em 0; }
.rq-block-head { font-weight: 600; }
.rq-status { color: var(--body-text-color-subdued); }
.rq-related { border: 1px dashed #d97706; border-radius: 6px; padding: .4em .7em; margin: .5em 0;
  color: var(--body-text-color-subdued); }
.rq-related strong { color: #b45309; display: block; }
.rq-answer-notice { margin: .4em 0; }
.rq-refs h5 { margin: .6em 0 .2em; font-size: .92em; color: var(--body-text-color-subdued); }
.rq-refs .rq-source-item { margin: .15em 0; font-size: .9em; }
.rq-cite-wrap { position: relative; display: inline; }
.rq-pop { display: none; position: absolute; left: 0; top: 1.7em; z-index: 50; width: min(24em, 80vw);
  background: var(--background-fill-primary); color: var(--body-text-color); border: 1px solid var(--border-color-primary);
  border-radius: 8px; box-shadow: 0 6px 20px rgba(0,0,0,.18); padding: .5em .7em; font-size: .88em; line-height: 1.6; }
.rq-pop-quote { display: block; }
.rq-pop-src { display: block; font-weight: 600; margin-top: .3em; }
.rq-pop-where { display: block; color: var(--body-text-color-subdued); }
.rq-open-source { margin-top: .3em; border: 1px solid var(--color-accent); color: var(--color-accent);
  background: transparent; border-radius: 4px; padding: 0 .5em; cursor: pointer; }
@media (hover: hover) { .rq-cite-wrap:hover .rq-pop, .rq-cite-wrap:focus-within .rq-pop { display: block; } }
.rq-cite-wrap.rq-open .rq-pop { display: block; }
.rq-pop.rq-pop-left { left: auto; right: 0; }
.rq-vote { display: inline-flex; align-items: center; gap: .25em; white-space: nowrap; }
.rq-actions { display: flex; flex-wrap: wrap; gap: .4em; align-items: center; margin-top: .3em; }
.rq-actions > button, .rq-comment button, .rq-suggest, .rq-conv button { border: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); color: var(--body-text-color); border-radius: 6px; padding: .1em .6em;
  cursor: pointer; font-size: .88em; }
.rq-vote.rq-on { border-color: var(--color-accent); background: var(--color-accent); color: white; }
.rq-comment { display: inline-flex; gap: .3em; flex: 1 1 16em; }
.rq-comment-input { flex: 1; min-width: 8em; border: 1px solid var(--border-color-primary); border-radius: 6px;
  padding: .1em .4em; background: var(--input-background-fill); color: var(--body-text-color); }
.rq-thanks { color: #16a34a; font-size: .85em; align-self: center; }
.rq-next { display: flex; flex-wrap: wrap; gap: .4em; align-items: center; margin-top: .5em; }
.rq-next-head { color: var(--body-text-color-subdued); font-size: .85em; }
.rq-suggest { text-align: left; }
.rq-suggest:hover, .rq-conv button:hover { border-color: var(--color-accent); }
/* comparison: narrow place column, wide text column; cards on a phone */
.rq-comparison { table-layout: fixed; margin: .4em 0; }
.rq-comparison col.rq-col-place { width: 22%; }
.rq-comparison col.rq-col-text { width: 78%; }
.rq-comparison th.rq-row-place { font-weight: 600; background: transparent; overflow-wrap: anywhere; }
.rq-comparison td p { margin: 0 0 .3em; }
@media (max-width: 640px) {
  #rq-chatbot .html-container { padding: 0 !important; }
  #rq-chatbot .rq-chat { border: none; padding: 0; }
  .rq-comparison, .rq-comparison tbody, .rq-comparison tr, .rq-comparison th, .rq-comparison td { display: block; width: auto; }
  .rq-comparison thead, .rq-comparison colgroup { display: none; }
  .rq-comparison tr.rq-place-row { border: 1px solid var(--border-color-primary); border-radius: 8px; margin: .5em 0;
    padding: .4em .6em; }
  .rq-comparison th.rq-row-place, .rq-comparison td { border: none; padding: .1em 0; }
}
/* conversations */
.rq-convs { list-style: none; padding: 0; margin: 0; max-height: 60vh; overflow-y: auto; }
.rq-conv { display: flex; gap: .3em; margin: .25em 0; }
.rq-conv .rq-conv-open { flex: 1; text-align: left; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.rq-conv.rq-current .rq-conv-open { border-color: var(--color-accent); font-weight: 600; }
.rq-conv .rq-conv-del { color: #b91c1c; }
/* source view: beside the chat on a desktop, a drawer over the chat on a phone */
.rq-close { display: none; float: right; border: none; background: transparent; font-size: 1.4em; line-height: 1;
  cursor: pointer; color: var(--body-text-color); }
@media (max-width: 820px) {
  .rq-cite-wrap.rq-open .rq-pop { position: fixed; left: 8px; right: 8px; top: auto; bottom: 12px; width: auto;
    z-index: 900; font-size: .95em; }
  #rq-chatbot .rq-chat { max-height: none; }
  .rq-convs { max-height: 7.5em; }
  #rq-source-col { min-width: 0 !important; }
  #rq-source-view:not(:has(.rq-drawer-open)) { display: none; }
  .rq-drawer-open { position: fixed; left: 0; right: 0; bottom: 0; max-height: 62vh; overflow-y: auto; z-index: 1000;
    background: var(--background-fill-primary); border-top: 2px solid var(--color-accent);
    box-shadow: 0 -8px 24px rgba(0,0,0,.25); padding: .6em .8em; }
  .rq-drawer-open .rq-close { display: block; }
  .rq-source-text { max-height: 40vh; }
}
/* progress and toasts: our own Chinese status text instead of Gradio's English timer */
.progress-text, .meta-text, .meta-text-center { display: none !important; }
.rq-notice-body, .rq-search-notice { overflow-wrap: anywhere; }
/* Gradio titles its toasts with the level in English ("Warning", "Info"): show Chinese instead. */
.toast-title { font-size: 0 !important; visibility: hidden; }
.toast-title::after { font-size: var(--text-md); visibility: visible; content: "提示"; }
.toast-title.error::after { content: "出错了"; }
.toast-title.success::after { content: "完成"; }
[data-testid="status-tracker"] span.error { font-size: 0 !important; visibility: hidden; }
[data-testid="status-tracker"] span.error::after { font-size: var(--text-md); visibility: visible; content: "出错了"; }
"""

# The chat's interactive markup (ui/chat_view.py) as events, delegated from the component's
# root so they survive every re-render: click {turn, cite} opens a source, select {question}
# asks a suggested question, submit {entry, vote, comment} records feedback. On a device
# without hover, the first tap on [n] shows the quote; its 查看原文 button opens the source.
CHAT_JS = """
const hoverless = () => window.matchMedia('(hover: none)').matches;
const closePops = () => element.querySelectorAll('.rq-cite-wrap.rq-open').forEach(w => w.classList.remove('rq-open'));
const num = (v) => parseInt(v || '', 10);
const openSource = (b) => {
  const turn = num(b.dataset.turn), cite = num(b.dataset.cite);
  if (Number.isInteger(turn) && Number.isInteger(cite)) trigger('click', {turn: turn, cite: cite});
};
const copyText = async (text) => {
  try { await navigator.clipboard.writeText(text); return; } catch (e) { /* fall back below */ }
  const area = document.createElement('textarea');
  area.value = text; document.body.appendChild(area); area.select();
  document.execCommand('copy'); area.remove();
};
const feedback = (b) => {
  const input = b.closest('.rq-actions').querySelector('.rq-comment-input');
  trigger('submit', {entry: b.dataset.entry, vote: b.dataset.vote, comment: input ? input.value : ''});
};
element.addEventListener('click', (event) => {
  const t = event.target;
  const open = t.closest('button.rq-open-source');
  if (open) { closePops(); openSource(open); return; }
  const cite = t.closest('button.rq-cite');
  if (cite) {
    const wrap = cite.closest('.rq-cite-wrap');
    if (wrap && hoverless() && !wrap.classList.contains('rq-open')) {
      closePops(); placePop(wrap); wrap.classList.add('rq-open'); return;
    }
    closePops(); openSource(cite); return;
  }
  const suggest = t.closest('button.rq-suggest');
  if (suggest) { trigger('select', {question: suggest.dataset.q || ''}); return; }
  const vote = t.closest('button.rq-vote, button.rq-comment-send');
  if (vote) { feedback(vote); return; }
  const copy = t.closest('button.rq-copy');
  if (copy) {
    copyText(copy.dataset.copy || '');
    copy.textContent = '已复制';
    setTimeout(() => { copy.textContent = '复制'; }, 1500);
    return;
  }
  if (!t.closest('.rq-pop')) closePops();
});
// Keep a quote popover inside the chat box (which scrolls, so it would clip it).
const placePop = (wrap) => {
  const pop = wrap.querySelector('.rq-pop'), box = element.querySelector('.rq-chat');
  if (!pop || !box) return;
  pop.classList.remove('rq-pop-left');
  const room = box.getBoundingClientRect().right - wrap.getBoundingClientRect().left;
  if (room < Math.min(384, window.innerWidth * 0.8)) pop.classList.add('rq-pop-left');
};
element.addEventListener('mouseover', (event) => {
  const wrap = event.target.closest && event.target.closest('.rq-cite-wrap');
  if (wrap) placePop(wrap);
});
element.addEventListener('focusin', (event) => {
  const wrap = event.target.closest && event.target.closest('.rq-cite-wrap');
  if (wrap) placePop(wrap);
});
element.addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || !event.target.classList.contains('rq-comment-input')) return;
  const send = event.target.closest('.rq-comment').querySelector('button.rq-comment-send');
  if (send) { event.preventDefault(); feedback(send); }
});
watch('value', () => {
  const box = element.querySelector('.rq-chat');
  const asked = element.querySelectorAll('.rq-user');
  if (!box || !asked.length) return;
  const last = asked[asked.length - 1];
  if (box.scrollHeight > box.clientHeight) box.scrollTop = Math.max(0, last.offsetTop - 8);
  else last.scrollIntoView({block: 'nearest'});
});
"""

# The list of kept conversations: click {open: id} or {delete: id}.
CONVERSATIONS_JS = """
element.addEventListener('click', (event) => {
  const open = event.target.closest('button.rq-conv-open');
  if (open) { trigger('click', {open: open.dataset.id}); return; }
  const del = event.target.closest('button.rq-conv-del');
  if (del) trigger('click', {delete: del.dataset.id});
});
"""

# After the source view changes: open it (a drawer on a phone), scroll the highlighted quote
# into the middle of its box; × closes the drawer.
SOURCE_JS = """
element.addEventListener('click', (event) => {
  if (event.target.closest('button.rq-close')) element.classList.remove('rq-drawer-open');
});
watch('value', () => {
  const mark = element.querySelector('mark.rq-hl');
  element.classList.toggle('rq-drawer-open', !!element.querySelector('.rq-source, .rq-notice'));
  const box = element.querySelector('.rq-source-text');
  if (!mark || !box) return;
  box.scrollTop = Math.max(0, mark.offsetTop - box.clientHeight / 3);
  if (!window.matchMedia('(max-width: 820px)').matches) element.scrollIntoView({block: 'nearest'});
});
"""
