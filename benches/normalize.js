// History normalizer throughput on every accepted corpus request (the
// common case: nothing to change) and on the same requests made dirty, vs
// the floor of any JS normalizer: JSON.parse + JSON.stringify.
import { readFileSync } from 'node:fs';
import { normalize, validate } from 'sse-sanitizer';
import { throughput, table, fmt } from './util.js';

const encoder = new TextEncoder();

/** The request with an empty text block spliced into its first array content. */
function dirty(body) {
  const copy = structuredClone(body);
  const message = copy.messages.find((m) => Array.isArray(m.content)) ?? copy.messages[0];
  if (typeof message.content === 'string') message.content = [{ type: 'text', text: message.content }];
  message.content.unshift({ type: 'text', text: '' });
  return copy;
}

/**
 * One history of `count` messages: the corpus requests' messages back to back,
 * a short text turn inserted where two turns of the same role would meet, so
 * that the roles alternate.
 */
function longHistory(bodies, count) {
  const messages = [];
  for (let i = 0; messages.length < count; i++) {
    for (const m of bodies[i % bodies.length].messages) {
      const last = messages.at(-1);
      if (last?.role === m.role) messages.push({ role: m.role === 'user' ? 'assistant' : 'user', content: 'ok' });
      if (!last && m.role !== 'user') continue;
      messages.push(m);
    }
  }
  messages.length = count;
  return { model: 'claude-sonnet-4-5', max_tokens: 1024, messages };
}

export async function run() {
  const lines = readFileSync(new URL('../tests/fixtures/requests.jsonl', import.meta.url), 'utf8').trim().split('\n');
  const bodies = lines.map((l) => JSON.parse(l).body);

  const history = longHistory(bodies, 1000);
  const bytes = encoder.encode(JSON.stringify(history));
  const { changes } = normalize(bytes);
  let sink = 0;
  const hBytes = await throughput(bytes.length, () => { sink += normalize(bytes).changes.length; });
  const hObject = await throughput(bytes.length, () => { sink += normalize(history).changes.length; });
  const hFloor = await throughput(bytes.length, () => {
    sink += JSON.stringify(JSON.parse(new TextDecoder().decode(bytes))).length;
  });
  table(
    `normalize: one ${history.messages.length}-message history from the corpus requests, ${(bytes.length / 1e6).toFixed(2)} MB, ${changes.length} changes, MB/s`,
    ['normalize(bytes)', 'normalize(object)', 'JSON.parse+stringify', 'bytes time vs JSON time', 'object time vs JSON time'],
    [[fmt(hBytes), fmt(hObject), fmt(hFloor), fmt(hFloor / hBytes, 2) + '×', fmt(hFloor / hObject, 2) + '×']],
  );
  const clean = bodies.map((b) => encoder.encode(JSON.stringify(b)));
  const dirtyBytes = bodies.map((b) => encoder.encode(JSON.stringify(dirty(b))));
  const rows = [];
  for (const [name, set] of [['accepted (no change)', clean], ['with an empty text block', dirtyBytes]]) {
    const total = set.reduce((n, b) => n + b.length, 0);
    const bytesPath = await throughput(total, () => {
      for (const b of set) sink += normalize(b).changes.length;
    });
    const objectPath = await throughput(total, () => {
      for (const b of set) sink += normalize(JSON.parse(new TextDecoder().decode(b))).changes.length;
    });
    const validatePath = await throughput(total, () => {
      for (const b of set) sink += validate(b).length;
    });
    const floor = await throughput(total, () => {
      for (const b of set) sink += JSON.stringify(JSON.parse(new TextDecoder().decode(b))).length;
    });
    rows.push([name, fmt(bytesPath), fmt(objectPath), fmt(validatePath), fmt(floor), fmt(bytesPath / floor, 2) + '×']);
  }
  table(`normalize: ${bodies.length} corpus requests, MB/s`, ['requests', 'normalize(bytes)', 'normalize(object)', 'validate(bytes)', 'JSON.parse+stringify', 'bytes vs floor'], rows);
}
