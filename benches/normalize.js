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

export async function run() {
  const lines = readFileSync(new URL('../tests/fixtures/requests.jsonl', import.meta.url), 'utf8').trim().split('\n');
  const bodies = lines.map((l) => JSON.parse(l).body);
  const clean = bodies.map((b) => encoder.encode(JSON.stringify(b)));
  const dirtyBytes = bodies.map((b) => encoder.encode(JSON.stringify(dirty(b))));
  const rows = [];
  for (const [name, set] of [['accepted (no change)', clean], ['with an empty text block', dirtyBytes]]) {
    const total = set.reduce((n, b) => n + b.length, 0);
    let sink = 0;
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
