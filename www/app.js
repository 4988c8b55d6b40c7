// The devtools page: loads input (sample, file, paste, drop, HAR), decides what
// it is, and hands it to the views. Only the built package does real work.
import { $, decoder, el, encoder, parseJson } from './util.js';
import { initStreamActions, showStream } from './stream.js';
import { replay } from './replay.js';
import { initHistory, showHistory } from './history.js';
import { initAuth } from './auth.js';
import { ready } from '/js/browser.js';

// NOTE: the package loads its wasm without top-level await; the views call it synchronously.
await ready;

const state = { stream: null, body: null };

// ---- tabs (WAI-ARIA tabs: arrow keys move between them) ----
const tabs = [...document.querySelectorAll('[role="tab"]')];
function select(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
}
for (const tab of tabs) {
  tab.addEventListener('click', () => select(tab));
  tab.addEventListener('keydown', (e) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
    select(next);
    next.focus();
  });
}

function showError(message) {
  $('error').hidden = !message;
  $('error').textContent = message ?? '';
}

// ---- loading ----
async function loadStream(bytes, origin) {
  state.stream = bytes;
  $('origin').textContent = origin;
  select($('tab-stream'));
  return showStream(bytes, { dropWhitespaceOnlyText: !$('keep-ws').checked });
}

function loadRequest(body, origin) {
  state.body = body;
  $('origin').textContent = origin;
  select($('tab-history'));
  return showHistory(body);
}

/** Every Messages API request and event-stream response of a HAR file. */
function harEntries(har) {
  const out = [];
  for (const [i, entry] of (har.log?.entries ?? []).entries()) {
    const { request = {}, response = {} } = entry;
    const content = response.content ?? {};
    const isMessages = request.method === 'POST' && /\/v1\/messages(\?|$|\/count_tokens)/.test(request.url ?? '');
    const isStream = /text\/event-stream/.test(content.mimeType ?? '');
    if (!isMessages && !isStream) continue;
    const body = request.postData?.text ? parseJson(request.postData.text) : undefined;
    const text = content.text ?? '';
    out.push({
      i,
      url: request.url,
      body: body && (Array.isArray(body) || Array.isArray(body.messages)) ? body : undefined,
      stream: isStream ? (content.encoding === 'base64' ? Uint8Array.from(atob(text), (c) => c.charCodeAt(0)) : encoder.encode(text)) : undefined,
    });
  }
  return out;
}

function showHar(entries, origin) {
  $('har').hidden = false;
  $('har-list').replaceChildren(
    ...entries.map((e) =>
      el(
        'li',
        {},
        `${e.url} `,
        e.body ? el('button', { type: 'button', onclick: () => loadRequest(e.body, `${origin}, entry ${e.i} request`) }, `request body (${(e.body.messages ?? e.body).length} messages)`) : undefined,
        ' ',
        e.stream ? el('button', { type: 'button', onclick: () => loadStream(e.stream, `${origin}, entry ${e.i} response`) }, `event stream (${e.stream.length} bytes)`) : undefined,
      ),
    ),
  );
  if (entries.length === 0) $('har-list').replaceChildren(el('li', {}, 'no Messages API request or event stream in this HAR'));
}

/** Loads bytes of unknown kind: a HAR, a request body, or an SSE capture. */
async function loadBytes(bytes, origin) {
  showError(null);
  $('har').hidden = true;
  const text = decoder.decode(bytes).trim();
  if (text.startsWith('{') || text.startsWith('[')) {
    const json = parseJson(text);
    if (json?.log?.entries) return showHar(harEntries(json), origin);
    if (json && (Array.isArray(json) || Array.isArray(json.messages))) return loadRequest(json, origin);
    if (json) return showError('This JSON is neither a HAR file nor a Messages API request body (an object with `messages`, or a messages array).');
  }
  if (!/^(event|data|id|retry|:)/m.test(text)) return showError('This does not look like an SSE capture, a request body or a HAR file.');
  return loadStream(bytes, origin);
}

async function loadSample(sample) {
  if (sample.kind === 'request') return loadRequest(sample.body, sample.origin);
  const bytes = new Uint8Array(await (await fetch(sample.url)).arrayBuffer());
  return loadStream(bytes, sample.origin);
}

// ---- wiring ----
initStreamActions();
initHistory(() => state.body);
initAuth();

$('keep-ws').addEventListener('change', () => state.stream && showStream(state.stream, { dropWhitespaceOnlyText: !$('keep-ws').checked }));
$('play').addEventListener('click', async () => {
  if (!state.stream) return showError('Load an SSE capture first.');
  await replay(state.stream, {
    chunkBytes: Math.max(1, Number($('chunk').value) || 64),
    delayMs: Math.max(0, Number($('delay').value) || 0),
    dropWhitespaceOnlyText: !$('keep-ws').checked,
  });
});
$('paste-toggle').addEventListener('click', () => {
  const box = $('paste-box');
  box.hidden = !box.hidden;
  $('paste-toggle').setAttribute('aria-expanded', String(!box.hidden));
  if (!box.hidden) $('paste').focus();
});
$('paste-load').addEventListener('click', () => loadBytes(encoder.encode($('paste').value), 'pasted'));
$('file').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  if (file) await loadBytes(new Uint8Array(await file.arrayBuffer()), file.name);
});
document.addEventListener('dragover', (e) => {
  e.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
document.addEventListener('drop', async (e) => {
  e.preventDefault();
  document.body.classList.remove('dragging');
  const file = e.dataTransfer.files[0];
  if (file) await loadBytes(new Uint8Array(await file.arrayBuffer()), file.name);
});

const samples = await (await fetch('/samples.json')).json();
const picker = $('sample');
picker.append(
  el('optgroup', { label: 'SSE captures' }, ...samples.map((s, i) => s.kind === 'stream' && el('option', { value: i }, s.label)).filter(Boolean)),
  el('optgroup', { label: 'Request bodies' }, ...samples.map((s, i) => s.kind === 'request' && el('option', { value: i }, s.label)).filter(Boolean)),
);
picker.addEventListener('change', () => {
  $('har').hidden = true;
  showError(null);
  loadSample(samples[Number(picker.value)]).catch((err) => showError(String(err)));
});
// The first request sample fills the history view too, so every view has content.
const firstRequest = samples.find((s) => s.kind === 'request');
if (firstRequest) {
  state.body = firstRequest.body;
  showHistory(firstRequest.body);
}
await loadSample(samples[0]);
document.body.dataset.ready = 'true';
