// A Next.js route handler (Node runtime) with both entries, zero config: the
// request body (a recorded stream) comes back through createSanitizerStream;
// the one-shot sanitize() and normalize() answer in headers, and so does
// accumulate() of sse-sanitizer/stream (its own module, read at its first call).
import { createHash } from 'node:crypto';
import { normalize, sanitize } from 'sse-sanitizer';
import { accumulate, createSanitizerStream } from 'sse-sanitizer/stream';

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

export async function POST(request) {
  const bytes = new Uint8Array(await request.clone().arrayBuffer());
  const history = { messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
  const sanitized = sanitize(bytes).output;
  return new Response(request.body.pipeThrough(createSanitizerStream()), {
    headers: {
      'content-type': 'text/event-stream',
      'x-full': sha256(sanitized),
      'x-message': sha256(JSON.stringify(await accumulate(sanitized))),
      'x-changes': normalize(history).changes.map((c) => c.rule).join(','),
    },
  });
}
