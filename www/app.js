// The devtools page. One input model: whatever was loaded last (a sample, a
// file, a paste, a drop, a HAR entry) is `current`, named the same in the
// header, the verdict and every view. The library work happens in a Web
// Worker (www/worker.js); this thread only lines its answers up.
import { $, fill, el, encoder, formatBytes } from './util.js';
import { renderVerdict } from './verdict.js';
import { profileIds } from './analyze.js';
import { createStreamView } from './stream.js';
import { createReplayView } from './replay.js';
import { createHistoryView } from './history.js';
import { createHarView } from './har.js';
import { initAuth } from './auth.js';
import { profiles, ready } from '/js/browser.js';

// NOTE: the package loads its wasm without top-level await; the views call it
// synchronously (the rules catalog, auth headers, the replay's sanitizer).
await ready;
// The profile selector lists the library's profiles.
fill($('profile'), ...profiles().map((p) => el('option', { value: p.id, title: p.description }, p.id)));

// ---- the worker ----
const worker = new Worker('/www/worker.js', { type: 'module' });
const pending = new Map();
let nextCall = 1;
const workerReady = new Promise((resolve, reject) => {
  worker.addEventListener('message', ({ data }) => data.ready && resolve());
  worker.addEventListener('error', (e) => reject(new Error(`the worker failed to start: ${e.message ?? 'unknown error'}`)));
});
worker.addEventListener('message', ({ data }) => {
  const call = pending.get(data.id);
  if (!call) return;
  if (data.progress) return call.onProgress?.(data.progress);
  pending.delete(data.id);
  if (data.error) call.reject(Object.assign(new Error(data.error.message), { code: data.error.code }));
  else call.resolve(data.result);
});

/** Runs `op` in the worker. */
async function work(op, args, onProgress) {
  await workerReady;
  const id = nextCall++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, op, ...args });
  });
}

// ---- the input model ----
let current = null;
// `loads` orders the requests (an answer for an older one is dropped); `inputs` names the inputs.
let loads = 0;
let inputs = 0;
const options = () => ({ profile: $('profile').value, strictFields: $('strict').checked });

/** `result` of the worker for an input, as what every view shows. */
function inputFrom(result, { name, origin, bytes }) {
  const input = { id: ++inputs, name, origin, bytes, kind: result.kind };
  if (result.kind === 'stream') {
    input.stream = { bytes, result };
    input.request = { derived: true };
  } else if (result.kind === 'request') {
    input.request = { body: result.body, result };
  } else if (result.kind === 'har') {
    input.har = { name, entries: result.entries };
    if (result.opened) return entryInput(input, result.opened);
  } else {
    input.error = result;
  }
  return input;
}

function entryInput(parent, opened) {
  const entry = parent.har.entries.find((e) => e.i === opened.entry);
  const path = (() => {
    try {
      return new URL(entry.url).pathname;
    } catch {
      return entry.url;
    }
  })();
  const input = {
    id: ++inputs,
    kind: 'entry',
    name: `${parent.har.name} › #${entry.i} ${entry.method} ${path} → ${entry.status || 'no status'}`,
    origin: parent.origin,
    har: parent.har,
    entry,
    response: opened.response,
  };
  if (opened.stream?.kind === 'stream') input.stream = { bytes: opened.streamBytes, result: opened.stream };
  if (opened.request) input.request = { body: opened.request.body, result: opened.request };
  return input;
}

// ---- views ----
const views = {
  stream: createStreamView(),
  replay: createReplayView(),
  history: createHistoryView({ analyze: (request) => work('request', { ...(request.derived ? { derived: true } : { body: request.body }), options: options() }) }),
  har: createHarView({ open: (i) => openEntry(i) }),
  auth: { render() {} },
};
const rendered = {};

const tabs = [...document.querySelectorAll('[role="tab"]')];
const viewOf = (tab) => tab.id.replace('tab-', '');

function selectTab(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
  renderVisible();
}

function renderVisible() {
  const tab = tabs.find((t) => t.getAttribute('aria-selected') === 'true');
  const name = viewOf(tab);
  if (current && rendered[name] !== current) {
    rendered[name] = current;
    views[name].render(current);
  }
}

for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (e) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
    selectTab(next);
    next.focus();
  });
}

function renderBanner(input) {
  renderVerdict($('verdict'), input, {
    jump: (row) => {
      selectTab($('tab-stream'));
      views.stream.select(row);
    },
    openTab: (name) => selectTab($(`tab-${name}`)),
  });
}

/** The stream's verdict under the other profile, asked for once the first one is shown. */
async function otherProfile(input) {
  const { verdicts } = input.stream.result.verdict;
  const missing = profileIds({ profiles }).filter((p) => !verdicts[p]);
  for (const profile of missing) {
    try {
      verdicts[profile] = await work('verdict', { profile });
    } catch {
      return;
    }
  }
  if (missing.length && current === input) renderBanner(input);
}

/** Shows `input` everywhere: header, verdict, the visible view (the others when opened). */
function show(input) {
  current = input;
  document.body.dataset.input = String(input.id);
  $('input-name').textContent = input.name;
  $('input-origin').textContent = input.origin ? `(${input.origin})` : '';
  renderBanner(input);
  if (input.stream) otherProfile(input);
  const timing = input.stream?.result.timing;
  $('timing').textContent = timing
    ? `last analysis in the worker: ${formatBytes(input.stream.bytes.length)} in ${timing.total.toFixed(0)} ms (${Object.entries(timing)
        .filter(([phase]) => phase !== 'total')
        .map(([phase, ms]) => `${phase} ${ms.toFixed(0)}`)
        .join(', ')})`
    : '';
  for (const name of Object.keys(rendered)) delete rendered[name];
  renderVisible();
}

function busy(name, size = null) {
  const banner = $('verdict');
  banner.setAttribute('aria-busy', 'true');
  const progress = el('progress', { 'aria-label': 'analysis progress' });
  const phase = el('span', {}, 'starting');
  fill(banner, el('p', {}, `Analysing ${name}${size === null ? '' : ` (${formatBytes(size)})`} in the worker: `, phase, ' ', progress));
  return ({ phase: text, fraction }) => {
    phase.textContent = text;
    if (fraction === undefined) progress.removeAttribute('value');
    else progress.value = fraction;
  };
}

/**
 * Runs one request for a new state of the page (`op` in the worker), the
 * newest winning; `shown(result)` turns its answer into the input to show.
 * A failure is shown as the input's error.
 */
async function analyse({ name, size, origin, bytes }, op, args, shown) {
  const mine = ++loads;
  views.replay.cancel();
  const onProgress = busy(name, size);
  let input;
  try {
    input = shown(await work(op, { ...args, options: options() }, (p) => mine === loads && onProgress(p)));
  } catch (err) {
    input = inputFrom({ kind: 'error', title: 'The analysis failed', detail: `${err.code ?? 'error'}: ${err.message}` }, { name, origin, bytes });
  }
  if (mine === loads) show(input);
  return mine === loads;
}

/** Loads bytes of any kind. */
function load({ name, origin = '', bytes, sample = '' }) {
  $('sample').value = sample;
  $('input-name').textContent = name;
  $('input-origin').textContent = origin ? `(${origin})` : '';
  return analyse({ name, size: bytes.length, origin, bytes }, 'load', { bytes }, (result) => inputFrom(result, { name, origin, bytes }));
}

async function openEntry(i) {
  const parent = current;
  const opened = await analyse({ name: `${parent.har.name}, entry #${i}`, origin: parent.origin }, 'entry', { i }, (result) => entryInput(parent, result));
  if (opened) selectTab($(current.stream ? 'tab-stream' : 'tab-history'));
}

/** The same input under new options (profile, strictFields). */
function reanalyze() {
  const input = current;
  if (!input) return;
  if (input.kind === 'entry') return analyse(input, 'entry', { i: input.entry.i }, (result) => ({ ...entryInput(input, result), name: input.name }));
  return analyse({ ...input, size: input.bytes?.length }, 'reanalyze', {}, (result) => inputFrom(result, input));
}

// ---- loading controls ----
async function loadFile(file) {
  await load({ name: file.name, origin: `${file.type || 'file'}, ${formatBytes(file.size)}`, bytes: new Uint8Array(await file.arrayBuffer()) });
}

$('profile').addEventListener('change', reanalyze);
$('strict').addEventListener('change', reanalyze);
function pasteBox(open) {
  $('paste-box').hidden = !open;
  $('paste-toggle').setAttribute('aria-expanded', String(open));
  if (open) $('paste').focus();
}
$('paste-toggle').addEventListener('click', () => pasteBox($('paste-box').hidden));
$('paste-load').addEventListener('click', () => {
  const text = $('paste').value;
  pasteBox(false);
  load({ name: 'pasted text', origin: `${text.length.toLocaleString('en')} characters`, bytes: encoder.encode(text) });
});
$('file').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  // NOTE: cleared so that choosing the same file again loads it again.
  e.target.value = '';
  if (file) await loadFile(file);
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
  if (file) await loadFile(file);
});

// ---- samples ----
const samples = await (await fetch('/samples.json')).json();
const picker = $('sample');
for (const [group, kind] of [['SSE captures', 'stream'], ['Request bodies', 'request']]) {
  picker.append(el('optgroup', { label: group }, samples.map((s, i) => s.kind === kind && el('option', { value: String(i) }, s.label))));
}
async function loadSample(i) {
  const sample = samples[i];
  const bytes = sample.url ? new Uint8Array(await (await fetch(sample.url)).arrayBuffer()) : encoder.encode(sample.text);
  await load({ name: sample.name, origin: sample.origin, bytes, sample: String(i) });
}
picker.addEventListener('change', () => loadSample(Number(picker.value)));

initAuth();
await loadSample(0);
document.body.dataset.ready = 'true';
