// Stream sanitizer throughput, side by side in one process on the corpus
// concatenated (repeated to ≥ 16 MB), at 64 B, 1 KB and 16 KB chunks.
//   engine: direct calls, no Web Streams; the whole package's module and the
//           size-first module of `sse-sanitizer/stream` (scripts/build.sh)
//   stream: pipeThrough chains, as an app uses them
// plus the official SDK's decode + accumulate for reference, and peak RSS
// while sanitizing a generated 1 GB stream.
import Anthropic from '@anthropic-ai/sdk';
import { createParser } from 'eventsource-parser';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { StreamSanitizer, createSanitizerStream, sanitize } from 'sse-sanitizer';
import { StreamSanitizer as StreamEntrySanitizer } from 'sse-sanitizer/stream';
import { corpusBytes, chunks, throughput, table, fmt } from './util.js';

const SIZES = [64, 1024, 16384];

function streamOf(parts) {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++]);
      else controller.close();
    },
  }, { highWaterMark: 0 });
}

async function drain(stream) {
  const reader = stream.getReader();
  for (;;) {
    const { done } = await reader.read();
    if (done) return;
  }
}

export async function run() {
  const bytes = corpusBytes(16 << 20);
  const mb = (bytes.length / 1e6).toFixed(1);
  // Sanity: the bench input really is sanitized (it holds empty text blocks).
  const { report } = sanitize(bytes.subarray(0, 4 << 20));
  if (report.blocksDropped.length === 0) throw new Error('bench input has nothing to sanitize');

  const engine = [];
  const stream = [];
  for (const size of SIZES) {
    const parts = chunks(bytes, size);
    let sink = 0;
    const engineRun = (Sanitizer) => () => {
      const s = new Sanitizer();
      for (const c of parts) sink += s.push(c).length;
      sink += s.finish().output.length;
    };
    const ours = await throughput(bytes.length, engineRun(StreamSanitizer));
    const small = await throughput(bytes.length, engineRun(StreamEntrySanitizer));
    const esp = await throughput(bytes.length, () => {
      const decoder = new TextDecoder();
      const p = createParser({ onEvent: () => sink++ });
      for (const c of parts) p.feed(decoder.decode(c, { stream: true }));
    });
    const copy = await throughput(bytes.length, () => {
      for (const c of parts) sink += c.slice().length;
    });
    engine.push([size, fmt(ours), fmt(small), fmt(esp), fmt(copy), fmt(ours / esp, 2) + '×', fmt(small / esp, 2) + '×']);

    const sOurs = await throughput(bytes.length, () => drain(streamOf(parts).pipeThrough(createSanitizerStream())));
    const sEsp = await throughput(bytes.length, () =>
      drain(streamOf(parts).pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream())),
    );
    const sCopy = await throughput(bytes.length, () =>
      drain(streamOf(parts).pipeThrough(new TransformStream({ transform: (c, ctl) => ctl.enqueue(c.slice()) }))),
    );
    stream.push([size, fmt(sOurs), fmt(sEsp), fmt(sCopy), fmt(sOurs / sEsp, 2) + '×', fmt((100 * sOurs) / sCopy, 0) + '%']);
  }
  table(`sanitize engine (direct calls): ${mb} MB, MB/s`, ['chunk', 'sanitizer push', 'stream entry', 'eventsource-parser', 'JS copy', 'vs esp', 'stream entry vs esp'], engine);
  table(`sanitize stream (pipeThrough): ${mb} MB, MB/s`, ['chunk', 'createSanitizerStream', 'TextDecoderStream+EventSourceParserStream', 'copy TransformStream', 'vs esp', 'of floor'], stream);

  // The official SDK's decode + accumulate over a local fetch, for reference.
  const { corpusStreams } = await import('../pkg-tests/corpus.js');
  const streams = corpusStreams().filter((s) => !/duplicate|spliced|sequential|issue-18331|error/.test(s.name)).slice(0, 60);
  const total = streams.reduce((n, s) => n + s.bytes.length, 0);
  const sdkRate = await throughput(total, async () => {
    for (const s of streams) {
      const client = new Anthropic({
        apiKey: 'bench',
        baseURL: 'http://127.0.0.1:9',
        fetch: async () => new Response(s.bytes, { headers: { 'content-type': 'text/event-stream' } }),
        maxRetries: 0,
      });
      try {
        await client.messages.stream({ model: 'claude', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] }).finalMessage();
      } catch {
        // some recorded streams are rejected by the SDK (see the SDK tests); the time still counts
      }
    }
  }, 800);
  const oursRate = await throughput(total, () => {
    for (const s of streams) sanitize(s.bytes);
  });
  table(`official SDK for reference: ${streams.length} corpus streams, MB/s`, ['SDK messages.stream().finalMessage()', 'sanitize()'], [[fmt(sdkRate), fmt(oursRate)]]);

  await rss(bytes);
}

/** Peak RSS while sanitizing a generated 1 GB stream (the corpus repeated) in 64 KB chunks. */
async function rss(bytes) {
  const target = Number(process.env.BENCH_RSS_BYTES ?? 1e9);
  const chunk = 64 * 1024;
  const s = new StreamSanitizer();
  let fed = 0;
  const samples = [];
  const start = process.memoryUsage().rss;
  let offset = 0;
  while (fed < target) {
    if (offset + chunk > bytes.length) offset = 0;
    s.push(bytes.subarray(offset, offset + chunk));
    offset += chunk;
    fed += chunk;
    if ((fed / chunk) % 1024 === 0) samples.push(process.memoryUsage().rss);
  }
  s.finish();
  const peak = Math.max(...samples);
  const firstQuarter = Math.max(...samples.slice(0, Math.max(1, samples.length >> 2)));
  table(`memory: sanitizing ${(fed / 1e9).toFixed(2)} GB in 64 KB chunks`, ['RSS at start MB', 'peak first quarter MB', 'peak overall MB', 'growth after first quarter MB'], [
    [fmt(start / 2 ** 20), fmt(firstQuarter / 2 ** 20), fmt(peak / 2 ** 20), fmt((peak - firstQuarter) / 2 ** 20)],
  ]);
}
