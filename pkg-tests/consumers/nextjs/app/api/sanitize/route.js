// A Next.js route handler (Node runtime) with both entries, zero config: the
// request body (a recorded stream) comes back through createSanitizerStream;
// the one-shot sanitize() and normalize() answer in headers.
import { createHash } from 'node:crypto';
import { normalize, sanitize } from 'sse-sanitizer';
import { createSanitizerStream } from 'sse-sanitizer/stream';

export async function POST(request) {
  const bytes = new Uint8Array(await request.clone().arrayBuffer());
  const history = { messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
  return new Response(request.body.pipeThrough(createSanitizerStream()), {
    headers: {
      'content-type': 'text/event-stream',
      'x-full': createHash('sha256').update(sanitize(bytes).output).digest('hex'),
      'x-changes': normalize(history).changes.map((c) => c.rule).join(','),
    },
  });
}
