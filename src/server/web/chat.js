// The chat page's script, served at GET /chat.js beside index.html and embedded in the binary (cmake/EmbedWeb.cmake).
// Server layer. A file of its own, not an inline <script>, so the page's Content-Security-Policy can say script-src
// 'self' and no injected inline script could ever run. Loaded at the end of <body>: it runs once the elements exist.
'use strict';

// ---------------------------------------------------------------------------------------------------------------
// Markdown. Model output is untrusted, so the whole source is HTML-escaped before any parsing: every character of
// it reaches innerHTML either as an entity or as a character that cannot start markup. The parser then only adds
// fixed tags, and the two attribute values it writes (href, ol start) are checked: links must be http(s) and have
// no raw quote left to break out of the attribute. Rejected: a DOM builder (safe too, but far more code for
// nested inline markup) and any sanitizer pass after rendering (it would be the only thing standing between the
// model and the page).
// ---------------------------------------------------------------------------------------------------------------
const Markdown = (() => {
  const ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ENTITIES[c]);

  // Block starts, matched against escaped lines (so a blockquote marker is "&gt;").
  const FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^`]*$/;
  const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
  const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
  const QUOTE = /^ {0,3}&gt; ?/;
  const ITEM = /^( *)([-*+]|\d{1,9}[.)])(?:[ \t]+(.*))?$/;
  const TABLE_RULE = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
  const isBlank = (line) => /^\s*$/.test(line);
  const indentOf = (line) => line.match(/^ */)[0].length;
  const startsBlock = (line) => FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || ITEM.test(line);

  // Inline markup on escaped text. Code spans and links are cut out first into numbered slots (\u0000n\u0000), so
  // emphasis rules never reach inside them (URLs are full of underscores); NULs were removed from the source.
  function inline(text) {
    const slots = [];
    const slot = (html) => '\u0000' + (slots.push(html) - 1) + '\u0000';
    let s = text.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (m, ticks, code) =>
      slot('<code>' + code.replace(/^ ([\s\S]*) $/, '$1') + '</code>'));
    s = s.replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s()]+)\)/g, (m, label, url) => slot(link(url, emphasis(label))));
    s = s.replace(/\bhttps?:\/\/(?:[^\s&\u0000]|&amp;)+/g, (url) => {
      const tail = url.match(/[.,:;!?)\]]+$/);
      const href = tail ? url.slice(0, -tail[0].length) : url;
      return slot(link(href, href)) + (tail ? tail[0] : '');
    });
    s = emphasis(s);
    for (let depth = 0; depth < 4 && s.includes('\u0000'); depth++) {
      s = s.replace(/\u0000(\d+)\u0000/g, (m, i) => slots[Number(i)]);
    }
    return s;
  }
  function link(href, label) {
    // The URL is escaped text: it holds no raw " < > and began with http:// or https://.
    return '<a href="' + href + '" target="_blank" rel="noopener noreferrer">' + label + '</a>';
  }
  function emphasis(s) {
    return s
      .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>')
      .replace(/(?<![\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, '<strong>$1</strong>')
      .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '<del>$1</del>')
      .replace(/(?<![\w*])\*(?=[^\s*])([\s\S]*?[^\s*])\*(?![\w*])/g, '<em>$1</em>')
      .replace(/(?<![\w_])_(?=[^\s_])([\s\S]*?[^\s_])_(?![\w_])/g, '<em>$1</em>');
  }

  function codeBlock(code, lang) {
    return '<div class="code-block"><div class="code-bar"><span class="code-lang">' + (lang || 'code') +
      '</span><button type="button" class="btn small copy-code" data-testid="copy-code" aria-label="Copy code">Copy</button>' +
      '</div><pre><code>' + code + '</code></pre></div>';
  }

  // Each block reader takes (lines, i), returns the index after the block, and appends HTML to out.
  function fence(lines, i, out) {
    const [, marker, lang] = lines[i].match(FENCE);
    const close = new RegExp('^ {0,3}' + (marker[0] === '`' ? '`' : '~') + '{' + marker.length + ',}[ \\t]*$');
    const body = [];
    for (i++; i < lines.length && !close.test(lines[i]); i++) body.push(lines[i]);
    out.push(codeBlock(body.join('\n'), lang));  // an unclosed fence (mid-stream) runs to the end
    return i + 1;
  }
  function quote(lines, i, out) {
    const inner = [];
    for (; i < lines.length && QUOTE.test(lines[i]); i++) inner.push(lines[i].replace(QUOTE, ''));
    out.push('<blockquote>' + nested(inner) + '</blockquote>');
    return i;
  }
  function list(lines, i, out) {
    const first = lines[i].match(ITEM);
    const base = first[1].length;
    const ordered = /\d/.test(first[2]);
    const items = [];
    while (i < lines.length) {
      const m = lines[i].match(ITEM);
      if (!m || m[1].length !== base || /\d/.test(m[2]) !== ordered) break;
      const contentIndent = base + m[2].length + 1;
      const body = [m[3] || ''];
      for (i++; i < lines.length; i++) {
        const line = lines[i];
        if (isBlank(line)) {
          let j = i + 1;
          while (j < lines.length && isBlank(lines[j])) j++;
          if (j < lines.length && indentOf(lines[j]) > base) { body.push(''); continue; }
          break;
        }
        if (indentOf(line) > base) { body.push(line.slice(Math.min(indentOf(line), contentIndent))); continue; }
        if (startsBlock(line)) break;
        body.push(line.trim());  // a lazy continuation of the item's paragraph
      }
      items.push('<li>' + nested(body) + '</li>');
    }
    const start = ordered ? parseInt(first[2], 10) : 1;
    out.push(ordered ? '<ol' + (start !== 1 ? ' start="' + start + '"' : '') + '>' + items.join('') + '</ol>'
                     : '<ul>' + items.join('') + '</ul>');
    return i;
  }
  const cells = (line) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => inline(c.trim()));
  function table(lines, i, out) {
    const head = cells(lines[i]);
    const rows = [];
    for (i += 2; i < lines.length && !isBlank(lines[i]) && lines[i].includes('|'); i++) rows.push(cells(lines[i]));
    out.push('<table><thead><tr>' + head.map((c) => '<th>' + c + '</th>').join('') + '</tr></thead><tbody>' +
      rows.map((r) => '<tr>' + r.map((c) => '<td>' + c + '</td>').join('') + '</tr>').join('') + '</tbody></table>');
    return i;
  }
  function paragraph(lines, i, out) {
    const para = [lines[i].trim()];
    for (i++; i < lines.length && !isBlank(lines[i]) && !startsBlock(lines[i]); i++) para.push(lines[i].trim());
    // Single newlines are kept as line breaks: chat models use them that way far more often than as soft wraps.
    out.push('<p>' + inline(para.join('\n')).replace(/\n/g, '<br>') + '</p>');
    return i;
  }

  // Nesting (quotes in lists in quotes...) is cut off at a fixed depth: the parser recurses once per level, and a
  // line of ten thousand ">" from a model must not exhaust the stack. Deeper text is shown as a plain paragraph.
  const MAX_DEPTH = 16;
  let depth = 0;
  function nested(lines) {
    if (depth >= MAX_DEPTH) return '<p>' + lines.join('<br>') + '</p>';
    depth++;
    try { return blocks(lines); } finally { depth--; }
  }

  function blocks(lines) {
    const out = [];
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      let m;
      if (isBlank(line)) i++;
      else if (FENCE.test(line)) i = fence(lines, i, out);
      else if ((m = line.match(HEADING))) {
        out.push('<h' + m[1].length + '>' + inline(m[2]) + '</h' + m[1].length + '>');
        i++;
      } else if (RULE.test(line)) { out.push('<hr>'); i++; }
      else if (QUOTE.test(line)) i = quote(lines, i, out);
      else if (ITEM.test(line)) i = list(lines, i, out);
      else if (line.includes('|') && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]) && lines[i + 1].includes('-')) i = table(lines, i, out);
      else i = paragraph(lines, i, out);
    }
    return out.join('');
  }

  function render(source) {
    return blocks(escapeHtml(String(source).replace(/\u0000/g, '').replace(/\r\n?/g, '\n')).split('\n'));
  }
  return { render, escapeHtml };
})();

// ---------------------------------------------------------------------------------------------------------------
// Server-sent events, parsed as the HTML standard says: lines end in CR, LF or CRLF and may be split anywhere
// across network chunks (a trailing CR is held back in case its LF comes next); lines starting with ":" are
// comments (": keep-alive"); "data:" lines accumulate until a blank line dispatches the event.
// ---------------------------------------------------------------------------------------------------------------
class SseParser {
  constructor(onEvent) { this.onEvent = onEvent; this.buffer = ''; this.data = []; this.event = ''; }
  push(text) {
    this.buffer += text;
    const eol = /\r\n|\n|\r(?!$)/g;
    let start = 0;
    let m;
    while ((m = eol.exec(this.buffer))) {
      this.line(this.buffer.slice(start, m.index));
      start = eol.lastIndex;
    }
    this.buffer = this.buffer.slice(start);
  }
  end() {
    if (this.buffer) this.line(this.buffer.replace(/\r$/, ''));
    this.buffer = '';
    this.line('');
  }
  line(line) {
    if (line === '') {
      if (this.data.length) this.onEvent({ event: this.event || 'message', data: this.data.join('\n') });
      this.data = [];
      this.event = '';
      return;
    }
    if (line[0] === ':') return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
  }
}

async function readEventStream(body, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();  // {stream: true} keeps a UTF-8 character split across chunks whole
  const parser = new SseParser(onEvent);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parser.push(decoder.decode(value, { stream: true }));
  }
  parser.push(decoder.decode());
  parser.end();
}

// ---------------------------------------------------------------------------------------------------------------
// Settings, kept in localStorage (which may be unavailable, e.g. with storage blocked: then they last the session).
// ---------------------------------------------------------------------------------------------------------------
const SETTINGS_KEY = 'baleen.settings.v1';
const DEFAULT_SETTINGS = { temperature: 0.6, maxTokens: '', systemPrompt: '', thinking: true, apiKey: '' };
function loadSettings() {
  try {
    return { ...DEFAULT_SETTINGS, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) || '{}') };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}
function saveSettings() {
  try { localStorage.setItem(SETTINGS_KEY, JSON.stringify(settings)); } catch { /* storage blocked: keep in memory */ }
}
let settings = loadSettings();

const $ = (id) => document.getElementById(id);
const ui = {
  thread: $('thread'), empty: $('empty'), scroller: $('messages'), input: $('input'), send: $('send'), stop: $('stop'),
  form: $('composer'), model: $('model-name'), status: $('status'), dialog: $('settings'),
  temperature: $('temperature'), maxTokens: $('max-tokens'), systemPrompt: $('system-prompt'), thinking: $('thinking'),
  apiKey: $('api-key'),
};

function bindSettings() {
  ui.temperature.value = settings.temperature;
  ui.maxTokens.value = settings.maxTokens;
  ui.systemPrompt.value = settings.systemPrompt;
  ui.thinking.checked = settings.thinking;
  ui.apiKey.value = settings.apiKey;
  const update = () => {
    const keyChanged = settings.apiKey !== ui.apiKey.value.trim();
    settings = {
      temperature: ui.temperature.value, maxTokens: ui.maxTokens.value, systemPrompt: ui.systemPrompt.value,
      thinking: ui.thinking.checked, apiKey: ui.apiKey.value.trim(),
    };
    saveSettings();
    if (keyChanged) loadModel();
  };
  for (const el of [ui.temperature, ui.maxTokens, ui.systemPrompt, ui.thinking, ui.apiKey]) {
    el.addEventListener('input', update);
    el.addEventListener('change', update);
  }
  $('settings-button').addEventListener('click', () => ui.dialog.showModal());
  ui.dialog.addEventListener('close', () => ui.input.focus());
}

// ---------------------------------------------------------------------------------------------------------------
// The API. Relative URLs, so the page works behind a reverse proxy under any path prefix.
// ---------------------------------------------------------------------------------------------------------------
function apiHeaders() {
  const headers = { 'Content-Type': 'application/json' };
  if (settings.apiKey) headers.Authorization = 'Bearer ' + settings.apiKey;
  return headers;
}
async function errorText(response) {
  const text = await response.text().catch(() => '');
  try {
    const message = JSON.parse(text).error.message;
    if (message) return message + ' (HTTP ' + response.status + ')';
  } catch { /* not the OpenAI error shape: fall back to the raw text */ }
  return 'HTTP ' + response.status + (text ? ': ' + text.slice(0, 300) : '');
}

let modelId = '';
async function loadModel() {
  try {
    const response = await fetch('v1/models', { headers: apiHeaders() });
    if (response.status === 401) {
      showModel('API key required — open Settings', true);
      return;
    }
    if (!response.ok) throw new Error(await errorText(response));
    const model = (await response.json()).data[0];
    modelId = model.id;
    const context = model.context_length ?? model.max_model_len ?? (model.meta && model.meta.n_ctx);
    showModel(model.id, false, context ? model.id + ' · context ' + context + ' tokens' : model.id);
  } catch (error) {
    showModel('server unreachable', true, String(error.message || error));
  }
}
function showModel(text, warn, title) {
  ui.model.textContent = text;
  ui.model.title = title || text;
  ui.model.classList.toggle('warn', warn);
}

// ---------------------------------------------------------------------------------------------------------------
// Conversation. `turns` holds what is sent back: user texts and assistant answers (never their reasoning, which
// R1-style templates drop from history anyway).
// ---------------------------------------------------------------------------------------------------------------
let turns = [];
let controller = null;

function element(tag, className, attributes = {}) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  return el;
}

function copyText(text, button) {
  const done = () => {
    const label = button.textContent;
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = label; }, 1200);
  };
  // The Clipboard API needs a secure context; http://127.0.0.1 is one, http://lan-address is not.
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => legacyCopy(text) && done());
  } else if (legacyCopy(text)) {
    done();
  }
}
function legacyCopy(text) {
  const area = element('textarea', 'sr-only');
  area.value = text;
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  area.remove();
  return ok;
}

function addMessage(role) {
  ui.empty.hidden = true;
  const message = element('article', 'message ' + role, { 'data-testid': 'message-' + role, 'aria-label': role === 'user' ? 'You' : 'Assistant' });
  const bubble = element('div', 'bubble');
  const actions = element('div', 'actions');
  const copy = element('button', 'btn small copy-message', { type: 'button', 'data-testid': 'copy-message', 'aria-label': 'Copy message' });
  copy.textContent = 'Copy';
  actions.appendChild(copy);
  message.append(bubble, actions);
  ui.thread.appendChild(message);
  return { message, bubble, actions, copy };
}

function addUserMessage(text) {
  const view = addMessage('user');
  const content = element('div', 'content', { 'data-testid': 'content' });
  content.textContent = text;  // user text is shown as typed, never parsed
  view.bubble.appendChild(content);
  view.copy.addEventListener('click', () => copyText(text, view.copy));
}

function addAssistantMessage(turn) {
  const view = addMessage('assistant');
  const reasoning = element('details', 'reasoning', { 'data-testid': 'reasoning' });
  reasoning.hidden = true;
  const summary = element('summary');
  summary.textContent = 'Thinking…';
  const reasoningText = element('div', 'reasoning-text', { 'data-testid': 'reasoning-text' });
  reasoning.append(summary, reasoningText);
  // aria-busy makes screen readers wait for the finished answer instead of reading every token.
  const content = element('div', 'content', { 'data-testid': 'content', 'aria-live': 'polite', 'aria-busy': 'true' });
  const notice = element('div', 'notice', { 'data-testid': 'notice' });
  const error = element('div', 'error', { 'data-testid': 'error', role: 'alert' });
  const meta = element('span', 'meta', { 'data-testid': 'meta' });
  view.bubble.append(reasoning, content, notice, error);
  view.actions.appendChild(meta);
  view.copy.addEventListener('click', () => copyText(turn.content, view.copy));
  return { ...view, reasoning, summary, reasoningText, content, notice, error, meta };
}

function nearBottom() {
  const s = ui.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}
function scrollToBottom() { ui.scroller.scrollTop = ui.scroller.scrollHeight; }

// Renders the turn into its view; called at most once per animation frame while streaming.
function paint(turn, view) {
  const follow = nearBottom();
  if (turn.reasoning) {
    view.reasoning.hidden = false;
    view.reasoningText.textContent = turn.reasoning;  // shown as plain text: no markup from the model
    if (!view.reasoningOpened) {
      view.reasoning.open = true;
      view.reasoningOpened = true;
    }
    if (view.reasoning.open && !turn.content) view.reasoningText.scrollTop = view.reasoningText.scrollHeight;
  }
  if (turn.content && !view.answerStarted) {
    // The answer has begun: fold the reasoning away once; the user can reopen it.
    view.answerStarted = performance.now();
    view.reasoning.open = false;
    view.reasoning.classList.remove('live');
  }
  view.content.innerHTML = Markdown.render(turn.content);  // escaped before parsing: see Markdown above
  view.copy.hidden = !turn.content;
  if (follow) scrollToBottom();
}

function setBusy(busy) {
  if (busy && document.activeElement === ui.send) ui.input.focus();  // the button is about to be hidden
  ui.send.hidden = busy;
  ui.stop.hidden = !busy;
  if (!busy && document.activeElement === ui.stop) ui.input.focus();
}

function buildRequest(history) {
  const messages = [];
  if (settings.systemPrompt.trim()) messages.push({ role: 'system', content: settings.systemPrompt });
  for (const t of history) messages.push({ role: t.role, content: t.content });
  const body = {
    model: modelId || 'default', messages, stream: true, stream_options: { include_usage: true },
    thinking: { type: settings.thinking ? 'enabled' : 'disabled' },
  };
  const temperature = parseFloat(settings.temperature);
  if (Number.isFinite(temperature)) body.temperature = temperature;
  const maxTokens = parseInt(settings.maxTokens, 10);
  if (Number.isFinite(maxTokens) && maxTokens > 0) body.max_tokens = maxTokens;
  return body;
}

async function send() {
  const text = ui.input.value;
  if (!text.trim() || controller) return;
  ui.input.value = '';
  autosize();
  const user = { role: 'user', content: text };
  const turn = { role: 'assistant', content: '', reasoning: '', failed: false };
  // Turns that failed without an answer are not resent: after a 401, say, the retry should not repeat the question.
  const history = turns.filter((t) => !t.failed).concat([user]);
  turns.push(user, turn);
  addUserMessage(text);
  const view = addAssistantMessage(turn);
  scrollToBottom();
  controller = new AbortController();
  setBusy(true);
  ui.status.textContent = 'Assistant is responding';

  const started = performance.now();
  let finish = null;
  let usage = null;
  let frame = 0;
  const schedule = () => { frame = frame || requestAnimationFrame(() => { frame = 0; paint(turn, view); }); };
  view.reasoning.classList.add('live');
  try {
    const response = await fetch('v1/chat/completions', {
      method: 'POST', headers: apiHeaders(), body: JSON.stringify(buildRequest(history)), signal: controller.signal,
    });
    if (!response.ok) throw new Error(await errorText(response));
    let done = false;
    await readEventStream(response.body, ({ event, data }) => {
      if (data === '[DONE]') { done = true; return; }
      let chunk;
      try { chunk = JSON.parse(data); } catch { throw new Error('malformed event from the server: ' + data.slice(0, 200)); }
      if (event === 'error' || chunk.error) throw new Error((chunk.error && chunk.error.message) || data);
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices && chunk.choices[0];
      if (!choice) return;
      const delta = choice.delta || {};
      if (delta.reasoning_content) turn.reasoning += delta.reasoning_content;
      if (delta.content) turn.content += delta.content;
      if (choice.finish_reason) finish = choice.finish_reason;
      schedule();
    });
    if (!done && !finish) throw new Error('the stream ended early (no finish reason, no [DONE])');
    if (finish === 'length') view.notice.textContent = 'Stopped at the token limit.';
  } catch (error) {
    if (error.name === 'AbortError') {
      view.notice.textContent = 'Stopped.';
    } else {
      controller.abort();  // close the connection if the stream itself was bad, so the server stops generating
      view.error.textContent = String(error.message || error);
      if (!turn.content) turn.failed = user.failed = true;
    }
  } finally {
    cancelAnimationFrame(frame);
    paint(turn, view);
    controller = null;
    setBusy(false);
    view.reasoning.classList.remove('live');
    view.content.setAttribute('aria-busy', 'false');
    finishSummary(view, turn, started, usage);
    ui.status.textContent = view.error.textContent ? 'Error: ' + view.error.textContent : 'Response complete';
  }
}

function finishSummary(view, turn, started, usage) {
  const seconds = (performance.now() - started) / 1000;
  const thought = ((view.answerStarted || performance.now()) - started) / 1000;
  if (turn.reasoning) view.summary.textContent = 'Thought for ' + thought.toFixed(thought < 10 ? 1 : 0) + ' s';
  if (!turn.reasoning && !turn.content && !view.error.textContent && !view.notice.textContent) {
    view.notice.textContent = 'The model returned an empty answer.';
  }
  if (usage) {
    const rate = usage.completion_tokens / Math.max(seconds, 1e-3);
    view.meta.textContent = usage.completion_tokens + ' tokens · ' + rate.toFixed(1) + ' tok/s';
  }
}

function stop() {
  if (controller) controller.abort();
}

function newChat() {
  stop();
  turns = [];
  for (const el of [...ui.thread.querySelectorAll('.message')]) el.remove();
  ui.empty.hidden = false;
  ui.input.focus();
}

function autosize() {
  ui.input.style.height = 'auto';
  ui.input.style.height = ui.input.scrollHeight + 'px';
}

function bindComposer() {
  ui.form.addEventListener('submit', (e) => { e.preventDefault(); send(); });
  ui.input.addEventListener('keydown', (e) => {
    // isComposing: Enter that confirms an input-method composition (CJK) must not send.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  });
  ui.input.addEventListener('input', autosize);
  ui.stop.addEventListener('click', stop);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && controller && !ui.dialog.open) stop();
  });
  $('new-chat').addEventListener('click', newChat);
  // Copy buttons of code blocks live inside rendered markdown, which is replaced on every frame: delegate.
  ui.thread.addEventListener('click', (e) => {
    const button = e.target.closest('.copy-code');
    if (button) copyText(button.closest('.code-block').querySelector('code').textContent, button);
  });
}

// For the browser tests: the pure parts, callable from page.evaluate.
window.baleen = { Markdown, SseParser };

bindSettings();
bindComposer();
loadModel();
ui.input.focus();
