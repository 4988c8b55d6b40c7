// A Worker that uses the package in its own code and hands everything else to
// the sse-sanitizer Worker filter. No setup: the `workerd` condition imports
// the .wasm as a compiled module.
import filter from 'sse-sanitizer/worker';
import { normalize } from 'sse-sanitizer';
import { accumulate } from 'sse-sanitizer/stream';

export default {
  async fetch(request, env, ctx) {
    // `sse-sanitizer/stream` too: accumulate() over its own module.
    if (new URL(request.url).pathname === '/accumulate') return Response.json(await accumulate(request.body));
    if (new URL(request.url).pathname === '/own') {
      const history = { messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
      return Response.json(normalize(history).changes.map((c) => c.rule));
    }
    return filter.fetch(request, env, ctx);
  },
};
