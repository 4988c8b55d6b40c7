// Parse throughput: SseParser (wasm, producing JS event objects) vs
// eventsource-parser 4.x (fed the same bytes, one TextDecoder per chunk).
import { createParser } from 'eventsource-parser';
import { SseParser } from 'sse-sanitizer';
import { corpusBytes, chunks, throughput, table, fmt } from './util.js';

export async function run() {
  const bytes = corpusBytes(8 << 20);
  const rows = [];
  for (const size of [64, 1024, 16384]) {
    const parts = chunks(bytes, size);
    let sink = 0;
    const ours = await throughput(bytes.length, () => {
      const p = new SseParser();
      for (const c of parts) sink += p.feed(c).length;
      p.finish();
    });
    const theirs = await throughput(bytes.length, () => {
      const decoder = new TextDecoder();
      const p = createParser({ onEvent: () => sink++ });
      for (const c of parts) p.feed(decoder.decode(c, { stream: true }));
    });
    if (sink === 0) throw new Error('no events');
    rows.push([size, fmt(ours), fmt(theirs), fmt(ours / theirs, 2) + '×']);
  }
  table(`parse: ${(bytes.length / 1e6).toFixed(1)} MB of corpus streams, MB/s`, ['chunk', 'SseParser', 'eventsource-parser', 'ratio'], rows);
}
