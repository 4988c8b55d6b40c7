// The browser app every bundler consumer builds: pipes a corpus stream through
// createSanitizerStream() as soon as the module runs (before the wasm has
// loaded), then uses the synchronous calls after `ready` and accumulate()
// (which `sse-sanitizer/stream` loads a module for), and leaves what it got in
// `window.result` for the test to compare with Node's output.
export function check(api, { full }) {
  (async () => {
    const res = await fetch(new URL('stream.sse', document.baseURI));
    const piped = res.body.pipeThrough(api.createSanitizerStream());
    const bytes = new Uint8Array(await new Response(piped).arrayBuffer());
    await api.ready;
    const result = { bytes: Array.from(bytes), events: new api.SseParser().feed(bytes).length, message: await api.accumulate(bytes) };
    if (full) {
      const history = { messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
      result.changes = api.normalize(history).changes.map((c) => c.rule);
    }
    window.result = result;
  })().catch((err) => {
    window.result = { error: String(err?.stack ?? err) };
  });
}
