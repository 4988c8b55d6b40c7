// Node (ESM), Deno and Bun: both entries and the Worker module, zero config.
// Prints what the test compares with the Node build of the suite.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { normalize, sanitize } from 'sse-sanitizer';
import * as stream from 'sse-sanitizer/stream';
import worker from 'sse-sanitizer/worker';

const bytes = readFileSync(new URL('./stream.sse', import.meta.url));
const piped = new Uint8Array(await new Response(new Response(bytes).body.pipeThrough(stream.createSanitizerStream())).arrayBuffer());
const history = { messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
console.log(JSON.stringify({
  full: createHash('sha256').update(sanitize(bytes).output).digest('hex'),
  stream: createHash('sha256').update(piped).digest('hex'),
  message: createHash('sha256').update(JSON.stringify(await stream.accumulate(piped))).digest('hex'),
  changes: normalize(history).changes.map((c) => c.rule),
  worker: typeof worker.fetch,
}));
