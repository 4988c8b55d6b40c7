// The demo's bundled samples, built from the project's corpus copy when the
// server starts (served as /samples.json): real streams (those the sanitizer
// changes first), real accepted request bodies, and histories made dirty from
// a real one with the defects chat clients really produce, each with its origin.
import { readFileSync, readdirSync } from 'node:fs';
import { sanitize } from '../js/node.js';
import { EMPTY_SEPARATOR, WHITESPACE_FIRST } from '../pkg-tests/helpers/adaptive.js';

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
      const bedrock = sanitize(new Uint8Array(readFileSync(new URL(path, corpus))), { profile: 'bedrock' }).report;
      all.push({ path, dropped: report.blocksDropped.length, bedrock: bedrock.blocksDropped.length, notes: report.notes.map((n) => n.code), recorded: dir === 'streams' });
    }
  }
  // Recorded streams the sanitizer changes first (the first one is loaded at
  // start: a real empty text block, the 400 a stored turn gets), then clean
  // ones of each kind.
  const changed = all.filter((s) => s.dropped > 0).sort((a, b) => b.recorded - a.recorded || b.dropped - a.dropped || a.path.localeCompare(b.path));
  const pick = (re) => all.find((s) => re.test(s.path) && s.dropped === 0);
  const clean = [/web-search-tool\.1/, /tool_use_response/, /thinking-streaming/, /citations/, /code-execution-pdf-skill\.1/].map(pick).filter(Boolean);
  return [...changed, ...clean].map((s) => {
    const name = s.path.split('/').pop();
    const what = s.dropped
      ? ` — ${s.dropped} empty text block(s)`
      : s.bedrock
        ? ` — ${s.bedrock} whitespace-only text block(s): kept under anthropic, dropped under bedrock`
        : s.notes.length
          ? ` — ${[...new Set(s.notes)].join(', ')}`
          : '';
    return {
      kind: 'stream',
      name,
      label: `${name.replace(/\.sse$/, '')}${what}${s.recorded ? '' : ' (hand-written fixture)'}`,
      url: `/tests/corpus/${s.path}`,
      origin: from.get(s.path) ?? s.path,
    };
  });
}

/** The two adaptive-thinking shapes (pkg-tests/helpers/adaptive.js), built from a recorded thinking stream. */
function thinkingSamples(from) {
  const recorded = 'streams/fantasy__TestAnthropicCommon_thinking-streaming-claude-sonnet-4.0.sse';
  const origin = `derived from ${from.get(recorded) ?? recorded}`;
  return [
    { name: 'adaptive-thinking-whitespace-first.sse', label: 'adaptive thinking: ["\\n\\n", thinking, text, tool_use] — placeholder, not a drop', text: WHITESPACE_FIRST },
    { name: 'adaptive-thinking-empty-separator.sse', label: 'adaptive thinking: [thinking, "", thinking, text, tool_use] — placeholder, not a drop', text: EMPTY_SEPARATOR },
  ].map((s) => ({ kind: 'stream', name: s.name, label: s.label, text: s.text.toString('utf8'), origin }));
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
      name: 'dirty-history.json',
      label: 'dirty history: empty text before tool_use, foreign tool_use_id, text with no text, whitespace turn',
      text: JSON.stringify(dirty, null, 2),
      origin: `derived from ${origin(base)}`,
    });
    const interrupted = structuredClone(base.body);
    interrupted.messages.splice(2, 1);
    interrupted.messages[1].content.unshift({ type: 'text', text: '' });
    interrupted.messages.push({ role: 'assistant', content: 'The answer is ' });
    out.push({
      kind: 'request',
      name: 'interrupted-history.json',
      label: 'dirty history: interrupted tool call, prefill with trailing whitespace',
      text: JSON.stringify(interrupted, null, 2),
      origin: `derived from ${origin(base)}`,
    });
  }
  for (const r of lines.filter((l) => l.body.messages.length >= 3).slice(0, 3)) {
    const name = `${r.source.replace(/\.(json|yaml)$/, '')}.request-${r.index}.json`;
    out.push({ kind: 'request', name, label: `accepted request: ${r.source.replace(/\.(json|yaml)$/, '')}`, text: JSON.stringify(r.body, null, 2), origin: origin(r) });
  }
  return out;
}

/**
 * Every sample, streams first (the first one is loaded at start): `{ kind,
 * name, label, origin }` with the bytes at `url` or in `text`.
 */
export function buildSamples() {
  const from = origins();
  const streams = streamSamples(from);
  return [streams[0], ...thinkingSamples(from), ...streams.slice(1), ...requestSamples(from)];
}
