#!/usr/bin/env node
// The `sse-sanitizer` command: pipes for SSE captures and request bodies.
// Streaming commands read stdin (or a file) chunk by chunk with backpressure,
// so memory stays flat whatever the input size.
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { SanitizerError, SseParser, StreamSanitizer, accumulate, normalize, profiles, validate, validateStream } from './node.js';
import { defaultMaxBodyBytes } from './proxy.js';

const HELP = `Usage: sse-sanitizer <command> [file] [options]

Reads stdin when no file is given (or the file is "-").

Commands:
  clean        SSE capture → sanitized SSE on stdout (empty text blocks dropped,
               indices renumbered, a blank block before a thinking block kept
               with placeholder text; everything else byte-identical)
  events       SSE capture → one JSON object per event on stdout
  accumulate   SSE capture → the final assistant Message JSON on stdout
  check        SSE capture → the stream verdict: one JSON anomaly per line
               ({ code, event, index, message, sdk }); \`sdk: "raises"\` marks
               the one the official SDK fails on, with its exact error text
  normalize    Messages API request JSON → normalized JSON on stdout
  validate     Messages API request JSON → the violations a strict upstream
               would answer, one JSON object per line

Options:
  --profile <name>                rules profile (default anthropic; clean: bedrock also
                                  drops whitespace-only text blocks), one of:
${profiles()
  .map((p) => `                                    ${p.id.padEnd(15)} ${p.description}`)
  .join('\n')}
  --placeholder <text>            clean, normalize: text appended to a blank block kept
                                  before a thinking block (default "...")
  --strict-fields                 normalize: remove every field not in the block's schema
  --report                        print the report / changes as JSON on stderr
  -h, --help                      this help
  -v, --version                   the version

Exit codes: 0 ok, 1 violations or anomalies found (validate, check), 2 bad
input or usage, or a failed read or write (one line on stderr). normalize and
validate read at most the body limit (${defaultMaxBodyBytes() >> 20} MiB).

Examples:
  curl -N https://gateway.example/v1/messages ... | sse-sanitizer clean > clean.sse
  sse-sanitizer validate --profile bedrock request.json
  sse-sanitizer check capture.sse
`;

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { profile: 'anthropic', placeholderText: undefined, strictFields: false, report: false, file: undefined };
  let command;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    switch (arg) {
      case '-h':
      case '--help':
        return { command: 'help', opts };
      case '-v':
      case '--version':
        return { command: 'version', opts };
      case '--profile':
        opts.profile = argv[++i];
        try {
          // The core decides which profiles exist.
          validate([], { profile: opts.profile ?? '' });
        } catch (err) {
          throw new UsageError(`--profile: ${err.message}`);
        }
        break;
      case '--strict-fields':
        opts.strictFields = true;
        break;
      case '--placeholder':
        opts.placeholderText = argv[++i];
        if (opts.placeholderText === undefined) throw new UsageError('--placeholder needs a text');
        break;
      // NOTE: the old flag; whitespace-only blocks are kept under the default profile.
      case '--keep-whitespace':
        opts.profile = 'anthropic';
        break;
      case '--report':
        opts.report = true;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
        if (!command) command = arg;
        else if (opts.file === undefined) opts.file = arg;
        else throw new UsageError(`unexpected argument ${arg}`);
    }
  }
  if (!command) return { command: 'help', opts };
  return { command, opts };
}

function input(file) {
  return file === undefined || file === '-' ? process.stdin : createReadStream(file);
}

/**
 * The whole input, refused (SanitizerError body-too-large) as soon as it
 * passes the core's body limit: a file by its size, stdin once that many bytes
 * have come.
 */
async function readAll(file) {
  const max = defaultMaxBodyBytes();
  const tooLarge = () => new SanitizerError('body-too-large', `the input is larger than the limit of ${max} bytes`);
  if (file !== undefined && file !== '-' && statSync(file).size > max) throw tooLarge();
  const parts = [];
  let size = 0;
  // NOTE: leaving the loop destroys the input stream: reading stops there.
  for await (const chunk of chunks(file)) {
    size += chunk.length;
    if (size > max) throw tooLarge();
    parts.push(chunk);
  }
  return Buffer.concat(parts, size);
}

/** Writes to stdout, waiting for it to drain: memory stays flat. */
async function write(data) {
  if (data.length > 0 && !process.stdout.write(data)) await once(process.stdout, 'drain');
}

/**
 * The chunks of the input, with a progress line on a terminal's stderr for a
 * file larger than 64 MiB.
 */
async function* chunks(file) {
  // NOTE: stat first: a missing file must fail before a ReadStream exists
  // (its own ENOENT would be emitted later, unhandled).
  const total = file === undefined || file === '-' ? 0 : statSync(file).size;
  const stream = input(file);
  const progress = process.stderr.isTTY && total > 64 << 20;
  let done = 0;
  let shown = -1;
  for await (const chunk of stream) {
    yield chunk;
    if (!progress) continue;
    done += chunk.length;
    const percent = Math.floor((done / total) * 100);
    if (percent !== shown) process.stderr.write(`\r${(shown = percent)}% of ${(total / 2 ** 20).toFixed(0)} MiB`);
  }
  if (progress) process.stderr.write('\n');
}

function report(opts, value) {
  if (opts.report) process.stderr.write(JSON.stringify(value, null, 2) + '\n');
}

const commands = {
  async clean(opts) {
    const sanitizer = new StreamSanitizer({ profile: opts.profile, placeholderText: opts.placeholderText });
    for await (const chunk of chunks(opts.file)) await write(sanitizer.push(chunk));
    const { output, report: last } = sanitizer.finish();
    await write(output);
    report(opts, last);
    return 0;
  },

  async events(opts) {
    const parser = new SseParser();
    for await (const chunk of chunks(opts.file)) {
      const lines = parser.push(chunk).map((event) => JSON.stringify(event) + '\n');
      await write(lines.join(''));
    }
    if (parser.finish()) process.stderr.write('sse-sanitizer: the input ended inside an event (discarded)\n');
    return 0;
  },

  async accumulate(opts) {
    const message = await accumulate(chunks(opts.file));
    await write(JSON.stringify(message, null, 2) + '\n');
    return 0;
  },

  async check(opts) {
    const anomalies = await validateStream(chunks(opts.file));
    await write(anomalies.map((a) => JSON.stringify(a) + '\n').join(''));
    const raised = anomalies.find((a) => a.sdk === 'raises');
    if (anomalies.length === 0) process.stderr.write('clean: no anomaly\n');
    else process.stderr.write(`${anomalies.length} anomal${anomalies.length === 1 ? 'y' : 'ies'}; the official SDK ${raised ? `fails: ${raised.message}` : 'reads the stream without an error'}\n`);
    return anomalies.length ? 1 : 0;
  },

  async normalize(opts) {
    const { body, changes } = normalize(await readAll(opts.file), {
      profile: opts.profile,
      strictFields: opts.strictFields,
      placeholderText: opts.placeholderText,
    });
    await write(body);
    report(opts, changes);
    if (process.stderr.isTTY) process.stderr.write(`${changes.length} change(s)\n`);
    return 0;
  },

  async validate(opts) {
    const violations = validate(await readAll(opts.file), { profile: opts.profile });
    for (const v of violations) await write(JSON.stringify(v) + '\n');
    if (violations.length === 0) process.stderr.write(`clean under ${opts.profile}\n`);
    return violations.length ? 1 : 0;
  },
};

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`sse-sanitizer: ${err.message}\n\n${HELP}`);
    return 2;
  }
  const { command, opts } = parsed;
  if (command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === 'version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url)));
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const run = commands[command];
  if (!run) {
    process.stderr.write(`sse-sanitizer: unknown command ${command}\n\n${HELP}`);
    return 2;
  }
  // NOTE: a pipe reports a failed write (EPIPE: the reader left) as an
  // 'error' event, not to the write call.
  process.stdout.on('error', (err) => fail(err, opts.file));
  try {
    return await run(opts);
  } catch (err) {
    return fail(err, opts.file);
  }
}

let failed = false;

/**
 * One line on stderr for bad input or a failed read or write, then exit 2;
 * anything else is a bug and keeps its stack trace.
 */
function fail(err, file) {
  let message;
  if (err instanceof SanitizerError) message = `${err.code}: ${err.message}`;
  else if (err?.code === 'ENOENT') message = `${file}: no such file`;
  else if (err?.code === 'EISDIR') message = `${file ?? 'stdin'}: is a directory`;
  else if (err?.code === 'EPIPE') message = 'stdout closed early (EPIPE): output incomplete';
  else if (err?.code === 'ENOSPC') message = 'cannot write to stdout: no space left on device';
  else if (typeof err?.code === 'string' && typeof err.syscall === 'string') message = `${err.syscall}: ${err.code}: ${err.message}`;
  else throw err;
  if (!failed) process.stderr.write(`sse-sanitizer: ${message}\n`);
  failed = true;
  process.exit(2);
}

process.exitCode = await main(process.argv.slice(2));
