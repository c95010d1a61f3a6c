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
.rq-refs { margin: .5em 0 .2em; }
.rq-refs-head { cursor: pointer; font-size: .92em; font-weight: 600; color: var(--body-text-color-subdued); width: max-content; }
.rq-refs-head:hover { color: var(--color-accent); }
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
.rq-thanks, .rq-voted { color: #16a34a; font-size: .85em; align-self: center; }
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
.rq-conv { display: flex; gap: .25em; margin: .25em 0; align-items: center; }
/* Up to two lines of the title, then an ellipsis (the whole title is the tooltip). */
.rq-conv .rq-conv-open { flex: 1; min-width: 0; text-align: left; overflow: hidden; text-overflow: ellipsis;
  display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow-wrap: anywhere;
  padding: .2em .5em; line-height: 1.45; }
.rq-conv.rq-current .rq-conv-open { border-color: var(--color-accent); font-weight: 600; }
.rq-conv button.rq-icon { display: inline-flex; align-items: center; padding: .25em .3em; flex: none;
  color: var(--body-text-color-subdued); }
.rq-conv button.rq-conv-del:hover, .rq-conv button.rq-conv-confirm { color: #b91c1c; border-color: #b91c1c; }
.rq-conv .rq-conv-name { flex: 1; min-width: 0; border: 1px solid var(--color-accent); border-radius: 6px;
  padding: .15em .4em; background: var(--input-background-fill); color: var(--body-text-color); }
.rq-conv .rq-conv-ask { flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  font-size: .88em; }
.rq-conv button.rq-conv-save, .rq-conv button.rq-conv-cancel, .rq-conv button.rq-conv-confirm { flex: none; }
/* source view: beside the chat on a desktop, a drawer over the chat on a phone */
.rq-close { display: none; float: right; border: none; background: transparent; font-size: 1.4em; line-height: 1;
  cursor: pointer; color: var(--body-text-color); }
.rq-user { scroll-margin-top: 8px; }
/* A new question moves to the top (of the chat box, or of a phone's screen): its answer gets
   the room below it while it is written. */
.rq-pending { min-height: 55vh; }
@media (max-width: 820px) {
  .rq-cite-wrap.rq-open .rq-pop { position: fixed; left: 8px; right: 8px; top: auto; bottom: 5.2em; width: auto;
    z-index: 900; font-size: .95em; }
  /* The question box stays at the bottom of the screen; the page keeps room for it. */
  #rq-ask-row { position: fixed; left: 0; right: 0; bottom: 0; z-index: 800; margin: 0; gap: .5em;
    flex-wrap: nowrap; padding: .5em .6em calc(.5em + env(safe-area-inset-bottom));
    background: var(--background-fill-primary); border-top: 1px solid var(--border-color-primary);
    box-shadow: 0 -4px 14px rgba(0,0,0,.10); }
  #rq-ask-row > * { min-width: 0 !important; }
  #rq-ask-row > .form, #rq-ask-row .block { background: transparent; border: none; box-shadow: none; padding: 0; }
  #rq-ask-row #rq-send { flex: none; width: 4.5em; }
  #rq-tab-chat { padding-bottom: 5.5em; }
  .rq-comparison { border: 0 !important; }
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

# Gradio scopes the app's CSS to its content (`.gradio-container … .contain`); its toasts sit
# outside, so their rules go into the page's <head> as they are.
# One toast at a time (the newest kind), at the bottom left on a desktop: away from the source
# view on the right, which a stack of toasts used to cover. At the top on a phone, where the
# question box holds the bottom.
HEAD = """<style>
.toast-wrap .toast-item:not(:last-child) { display: none; }
@media (min-width: 821px) {
  .toast-wrap { top: auto !important; bottom: var(--size-4); left: var(--size-4) !important; right: auto !important;
    align-items: start !important; }
}
</style>"""

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
// Each answer's sources (a <details>): open on a desktop, closed on a phone, unless the
// reader opened or closed that one (remembered per answer across re-renders).
const narrow = () => window.matchMedia('(max-width: 820px)').matches;
const refsChoice = new Map();
const refsKey = (d) => { const bot = d.closest('.rq-bot'); return bot && bot.dataset.entry ? bot.dataset.entry : ''; };
element.addEventListener('click', (event) => {
  const head = event.target.closest && event.target.closest('summary.rq-refs-head');
  if (!head) return;
  const key = refsKey(head.parentElement);
  if (key) refsChoice.set(key, !head.parentElement.open);  // the click toggles it next
}, true);
const applyRefs = () => {
  element.querySelectorAll('details.rq-refs').forEach((d) => {
    const key = refsKey(d);
    d.open = refsChoice.has(key) ? refsChoice.get(key) : !narrow();
  });
};
// A new question (the pending answer appears) moves to the top: inside the chat box on a
// desktop, the page itself on a phone; later re-renders (streaming, votes) leave the scroll.
let questions = 0;
watch('value', () => {
  applyRefs();
  const box = element.querySelector('.rq-chat');
  const asked = element.querySelectorAll('.rq-user');
  const grew = asked.length > questions;
  questions = asked.length;
  if (!box || !asked.length || !grew) return;
  const last = asked[asked.length - 1];
  if (box.scrollHeight > box.clientHeight) box.scrollTop = Math.max(0, last.offsetTop - 8);
  else last.scrollIntoView({block: narrow() ? 'start' : 'nearest'});
});
applyRefs();
"""

# The list of kept conversations: click {open: id}, {rename: id, title} or {delete: id}.
# Renaming edits the title in place (Enter saves, Esc cancels); deleting asks first, in
# the row itself (no browser dialog).
CONVERSATIONS_JS = """
const restore = (li) => {
  if (li.dataset.html === undefined) return;
  li.innerHTML = li.dataset.html;
  delete li.dataset.html;
  li.classList.remove('rq-editing', 'rq-confirming');
};
const closeAll = () => element.querySelectorAll('li.rq-conv').forEach(restore);
const swap = (li, cls, html) => {
  closeAll();
  li.dataset.html = li.innerHTML;
  li.classList.add(cls);
  li.innerHTML = html;
};
const startRename = (li) => {
  swap(li, 'rq-editing', "<input type='text' class='rq-conv-name' maxlength='100' aria-label='对话名称'>" +
    "<button type='button' class='rq-conv-save'>保存</button><button type='button' class='rq-conv-cancel'>取消</button>");
  const input = li.querySelector('input.rq-conv-name');
  input.value = li.dataset.title || '';
  input.focus();
  input.select();
};
const askDelete = (li) => {
  swap(li, 'rq-confirming', "<span class='rq-conv-ask'></span>" +
    "<button type='button' class='rq-conv-confirm'>删除</button><button type='button' class='rq-conv-cancel'>取消</button>");
  li.querySelector('.rq-conv-ask').textContent = '删除“' + (li.dataset.title || '') + '”？';
  li.querySelector('button.rq-conv-cancel').focus();
};
const saveRename = (li) => {
  const input = li.querySelector('input.rq-conv-name');
  trigger('click', {rename: li.dataset.id, title: input ? input.value : ''});
};
element.addEventListener('click', (event) => {
  const t = event.target;
  const li = t.closest('li.rq-conv');
  if (!li) return;
  if (t.closest('button.rq-conv-open')) trigger('click', {open: li.dataset.id});
  else if (t.closest('button.rq-conv-rename')) startRename(li);
  else if (t.closest('button.rq-conv-del')) askDelete(li);
  else if (t.closest('button.rq-conv-confirm')) trigger('click', {delete: li.dataset.id});
  else if (t.closest('button.rq-conv-save')) saveRename(li);
  else if (t.closest('button.rq-conv-cancel')) restore(li);
});
element.addEventListener('keydown', (event) => {
  const li = event.target.closest && event.target.closest('li.rq-conv');
  if (!li) return;
  if (event.key === 'Escape') { event.preventDefault(); restore(li); }
  else if (event.key === 'Enter' && event.target.classList.contains('rq-conv-name')) {
    event.preventDefault();
    saveRename(li);
  }
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
