// Vitest runs a dependency's modules in Node: both entries and the Worker
// module load there, zero config. EXPECTED is what the suite's Node build gives.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { normalize, sanitize } from 'sse-sanitizer';
import * as stream from 'sse-sanitizer/stream';
import worker from 'sse-sanitizer/worker';

test('sse-sanitizer, sse-sanitizer/stream and sse-sanitizer/worker under Vitest', async () => {
  const bytes = readFileSync(new URL('./stream.sse', import.meta.url));
  const piped = new Uint8Array(await new Response(new Response(bytes).body.pipeThrough(stream.createSanitizerStream())).arrayBuffer());
  const history = { messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
  expect({
    full: createHash('sha256').update(sanitize(bytes).output).digest('hex'),
    stream: createHash('sha256').update(piped).digest('hex'),
    message: createHash('sha256').update(JSON.stringify(await stream.accumulate(piped))).digest('hex'),
    changes: normalize(history).changes.map((c) => c.rule),
    worker: typeof worker.fetch,
  }).toEqual(JSON.parse(process.env.EXPECTED));
});
