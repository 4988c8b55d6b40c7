// Parse throughput: SseParser (wasm, producing JS event objects; the whole
// package's module and the size-first one of `sse-sanitizer/stream`) vs
// eventsource-parser 4.x (fed the same bytes, one TextDecoder per chunk).
import { createParser } from 'eventsource-parser';
import { SseParser } from 'sse-sanitizer';
import { SseParser as StreamEntryParser } from 'sse-sanitizer/stream';
import { corpusBytes, chunks, throughput, table, fmt } from './util.js';

export async function run() {
  const bytes = corpusBytes(8 << 20);
  const rows = [];
  for (const size of [64, 1024, 16384]) {
    const parts = chunks(bytes, size);
    let sink = 0;
    const parse = (Parser) => () => {
      const p = new Parser();
      for (const c of parts) sink += p.push(c).length;
      p.finish();
    };
    const ours = await throughput(bytes.length, parse(SseParser));
    const small = await throughput(bytes.length, parse(StreamEntryParser));
    const theirs = await throughput(bytes.length, () => {
      const decoder = new TextDecoder();
      const p = createParser({ onEvent: () => sink++ });
      for (const c of parts) p.feed(decoder.decode(c, { stream: true }));
    });
    if (sink === 0) throw new Error('no events');
    rows.push([size, fmt(ours), fmt(small), fmt(theirs), fmt(ours / theirs, 2) + '×', fmt(small / theirs, 2) + '×']);
  }
  table(`parse: ${(bytes.length / 1e6).toFixed(1)} MB of corpus streams, MB/s`, ['chunk', 'SseParser', 'stream entry', 'eventsource-parser', 'ratio', 'stream entry ratio'], rows);
  await textMix(bytes);
}

const NON_ASCII = /[^\u0000-\u007f]/;

/**
 * Why decoding dominates large chunks: how much of the corpus holds a
 * non-ASCII byte, and how fast TextDecoder makes strings of the text of
 * all-ASCII events vs the others (a JS string with one character above
 * U+00FF is two-byte as a whole), in pieces of about 16 KB.
 */
async function textMix(bytes) {
  const hasHigh = (c) => c.some((b) => b >= 0x80);
  const share = (size) => {
    const parts = chunks(bytes, size);
    return fmt((100 * parts.filter(hasHigh).length) / parts.length) + '%';
  };
  const parser = new SseParser();
  const events = parser.push(bytes);
  parser.finish();
  const encoder = new TextEncoder();
  const groups = { ascii: [], other: [] };
  for (const e of events) {
    const text = e.type + e.data + e.lastEventId;
    groups[NON_ASCII.test(text) ? 'other' : 'ascii'].push(encoder.encode(text));
  }
  const size = (list) => list.reduce((n, b) => n + b.length, 0);
  const pieces = (list) => {
    const out = [];
    for (let i = 0; i < list.length; ) {
      const start = i;
      let n = 0;
      while (i < list.length && n < 16384) n += list[i++].length;
      const piece = new Uint8Array(n);
      let at = 0;
      for (const b of list.slice(start, i)) {
        piece.set(b, at);
        at += b.length;
      }
      out.push(piece);
    }
    return out;
  };
  const decoder = new TextDecoder();
  let sink = 0;
  const speed = async (list) => {
    const parts = pieces(list);
    return fmt((await throughput(size(list), () => {
      for (const p of parts) sink += decoder.decode(p).length;
    })) / 1000, 2);
  };
  const ascii = size(groups.ascii);
  const other = size(groups.other);
  table(
    'parse: corpus text, what the decode step sees',
    ['1 KB chunks with a non-ASCII byte', '16 KB chunks with one', 'event text in events with one', 'decode GB/s, ASCII events', 'decode GB/s, the others'],
    [[share(1024), share(16384), fmt((100 * other) / (ascii + other)) + '%', await speed(groups.ascii), await speed(groups.other)]],
  );
  if (sink === 0) throw new Error('nothing decoded');
}
