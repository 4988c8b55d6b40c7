// Node, CommonJS: require() of the ESM package (no top-level await anywhere).
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { normalize, sanitize } = require('sse-sanitizer');
const stream = require('sse-sanitizer/stream');
const worker = require('sse-sanitizer/worker').default;

const bytes = readFileSync(`${__dirname}/stream.sse`);
const history = { messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
const sanitized = stream.sanitize(bytes).output;
stream.accumulate(sanitized).then((message) => {
  console.log(JSON.stringify({
    full: createHash('sha256').update(sanitize(bytes).output).digest('hex'),
    stream: createHash('sha256').update(sanitized).digest('hex'),
    message: createHash('sha256').update(JSON.stringify(message)).digest('hex'),
    changes: normalize(history).changes.map((c) => c.rule),
    worker: typeof worker.fetch,
  }));
});
