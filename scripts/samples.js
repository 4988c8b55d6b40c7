// The demo's bundled samples, built from the project's corpus copy when the
// server starts (served as /samples.json): real streams (those the sanitizer
// changes first), real accepted request bodies, and histories made dirty from
// a real one with the defects chat clients really produce, each with its origin.
import { readFileSync, readdirSync } from 'node:fs';
import { sanitize } from '../js/node.js';

const corpus = new URL('../tests/corpus/', import.meta.url);

/** SOURCES.tsv: file → "repo/path (license)". */
function origins() {
  const out = new Map();
  const [header, ...rows] = readFileSync(new URL('SOURCES.tsv', corpus), 'utf8').trim().split('\n');
  const cols = header.split('\t');
  for (const row of rows) {
    const r = Object.fromEntries(row.split('\t').map((v, i) => [cols[i], v]));
    out.set(r.file, `${r.repo}/${r.path} (${r.license})`);
  }
  return out;
}

function streamSamples(from) {
  const all = [];
  for (const dir of ['streams', 'handwritten/streams']) {
    for (const file of readdirSync(new URL(`${dir}/`, corpus)).filter((f) => f.endsWith('.sse')).sort()) {
      const path = `${dir}/${file}`;
      const { report } = sanitize(new Uint8Array(readFileSync(new URL(path, corpus))));
      all.push({ path, dropped: report.blocksDropped.length, notes: report.notes.map((n) => n.code) });
    }
  }
  // The first sample (loaded at start) drops blocks mid-message, so renumbering shows.
  const changed = all.filter((s) => s.dropped > 0).sort((a, b) => b.dropped - a.dropped || a.path.localeCompare(b.path));
  const pick = (re) => all.find((s) => re.test(s.path) && s.dropped === 0);
  const clean = [/tool_use_response/, /thinking/, /citations/, /code-execution-pdf-skill\.1/].map(pick).filter(Boolean);
  return [...changed, ...clean].map((s) => ({
    kind: 'stream',
    label: `${s.path.split('/').pop().replace(/\.sse$/, '')}${s.dropped ? ` — ${s.dropped} blank block(s)` : s.notes.length ? ` — ${[...new Set(s.notes)].join(', ')}` : ''}`,
    url: `/tests/corpus/${s.path}`,
    origin: from.get(s.path) ?? s.path,
  }));
}

function requestSamples(from) {
  const lines = readFileSync(new URL('../tests/fixtures/requests.jsonl', import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const origin = (r) => `${from.get(`exchanges/${r.source}`) ?? r.source}, request ${r.index}`;
  const base = lines.find((r) => r.source.startsWith('chatlas__test_provider_anthropic_test_anthropic_tool_variations') && r.body.messages.length === 5);
  const out = [];
  if (base) {
    const dirty = structuredClone(base.body);
    const [, toolTurn, , answer] = dirty.messages;
    toolTurn.content.unshift({ type: 'text', text: '' });
    toolTurn.content[1].tool_use_id = '';
    answer.content.push({ type: 'text' });
    dirty.messages.splice(3, 0, { role: 'assistant', content: [{ type: 'text', text: ' \n' }] }, { role: 'user', content: 'go on' });
    out.push({
      kind: 'request',
      label: 'dirty history: empty text before tool_use, foreign tool_use_id, text with no text, whitespace turn',
      body: dirty,
      origin: `derived from ${origin(base)}`,
    });
    const interrupted = structuredClone(base.body);
    interrupted.messages.splice(2, 1);
    interrupted.messages[1].content.unshift({ type: 'text', text: '' });
    interrupted.messages.push({ role: 'assistant', content: 'The answer is ' });
    out.push({
      kind: 'request',
      label: 'dirty history: interrupted tool call, prefill with trailing whitespace',
      body: interrupted,
      origin: `derived from ${origin(base)}`,
    });
  }
  for (const r of lines.filter((l) => l.body.messages.length >= 3).slice(0, 3)) {
    out.push({ kind: 'request', label: `accepted request: ${r.source.replace(/\.(json|yaml)$/, '')}`, body: r.body, origin: origin(r) });
  }
  return out;
}

/** Every sample, streams first (the first one is loaded at start). */
export function buildSamples() {
  const from = origins();
  return [...streamSamples(from), ...requestSamples(from)];
}
