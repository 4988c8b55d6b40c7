// Sanitize a recorded Claude stream as it arrives, the way a chat UI or a
// gateway treats `response.body`, then build the final message from the clean
// bytes.
//
//   node examples/sanitize-stream.mjs [capture.sse] [chunk bytes] [profile]
//
// Defaults: a real web-search stream from the corpus that carries two
// whitespace-only text blocks, read in 1 KiB chunks, profile `anthropic`
// (which accepts them: try `bedrock`, which drops them).
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { accumulate, createSanitizerStream, profiles } from 'sse-sanitizer';

const file = process.argv[2] ?? new URL('../tests/corpus/streams/vercel-ai__anthropic-web-search-tool.1.sse', import.meta.url);
const chunkBytes = Number(process.argv[3] ?? 1024);
const profile = process.argv[4] ?? 'anthropic';
const names = profiles().map((p) => p.id);
if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0 || !names.includes(profile)) {
  console.error(`usage: node examples/sanitize-stream.mjs [capture.sse] [chunk bytes > 0] [${names.join('|')}]`);
  process.exit(2);
}

let size;
try {
  size = statSync(file).size;
} catch (err) {
  console.error(`cannot read ${file}: ${err.message}`);
  process.exit(2);
}

const body = Readable.toWeb(createReadStream(file, { highWaterMark: chunkBytes }));
let report;
const clean = body.pipeThrough(createSanitizerStream({ profile, onReport: (r) => (report = r) }));
// One branch is what a UI would render; the other goes to accumulate(), which
// builds the final message as the SDK's finalMessage() does and rejects with a
// SanitizerError (`code`) where the SDK would throw: a stream cut before
// message_stop, an `error` event, …
const [forUi, forMessage] = clean.tee();
const written = (async () => {
  let n = 0;
  for await (const chunk of forUi) n += chunk.length;
  return n;
})();
let message;
let failure;
try {
  message = await accumulate(forMessage);
} catch (err) {
  failure = err;
}
const outBytes = await written; // the whole stream has gone through: onReport has fired

console.log(`read ${size} bytes in ${chunkBytes}-byte chunks, wrote ${outBytes}`);
console.log(`events: ${report.eventsSeen} seen, ${report.eventsChanged} changed`);
for (const drop of report.blocksDropped) {
  console.log(`dropped: message ${drop.message} block ${drop.index} (${drop.reason}, ${drop.bytes} bytes)`);
}
for (const kept of report.blocksReplaced) {
  console.log(`kept: message ${kept.message} block ${kept.index} (${kept.blank}, placeholder appended: ${kept.reason})`);
}
for (const note of report.notes) console.log(`note: event ${note.event}: ${note.code}: ${note.detail}`);
if (report.truncated) console.log('the stream ended without message_stop');
if (failure) {
  console.log(`no final message: ${failure.code}: ${failure.message}`);
  process.exitCode = 1;
} else {
  console.log(`final message: ${message.content.length} blocks: ${message.content.map((b) => b.type).join(', ')}`);
}
