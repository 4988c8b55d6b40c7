// Bundled for Node with the package inside: the .wasm comes in as bytes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import wasm from 'sse-sanitizer/wasm';
import { init, normalize, sanitize } from 'sse-sanitizer';

init(wasm);
const bytes = readFileSync(process.argv[2]);
const history = { messages: [{ role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'hi' }] }] };
console.log(JSON.stringify({
  full: createHash('sha256').update(sanitize(bytes).output).digest('hex'),
  changes: normalize(history).changes.map((c) => c.rule),
}));
