#!/usr/bin/env node
// The `sse-sanitizer` command: pipes for SSE captures and request bodies.
// Streaming commands read stdin (or a file) chunk by chunk with backpressure,
// so memory stays flat whatever the input size.
import { createReadStream, readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import {
  SanitizerError,
  accumulate,
  createEventStream,
  createSanitizerStream,
  normalize,
  validate,
} from './node.js';

const HELP = `Usage: sse-sanitizer <command> [file] [options]

Reads stdin when no file is given (or the file is "-").

Commands:
  clean        SSE capture → sanitized SSE on stdout (empty text blocks dropped,
               indices renumbered; everything else byte-identical)
  events       SSE capture → one JSON object per event on stdout
  accumulate   SSE capture → the final assistant Message JSON on stdout
  normalize    Messages API request JSON → normalized JSON on stdout
  validate     Messages API request JSON → the violations a strict upstream
               would answer, one JSON object per line

Options:
  --profile <anthropic|bedrock>   rules profile (default anthropic)
  --strict-fields                 normalize: remove every field not in the block's schema
  --keep-whitespace               clean: keep whitespace-only text blocks
  --report                        print the report / changes as JSON on stderr
  -h, --help                      this help
  -v, --version                   the version

Exit codes: 0 ok, 1 violations found (validate), 2 bad input or usage.

Examples:
  curl -N https://gateway.example/v1/messages ... | sse-sanitizer clean > clean.sse
  sse-sanitizer validate --profile bedrock request.json
`;

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { profile: 'anthropic', strictFields: false, keepWhitespace: false, report: false, file: undefined };
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
        if (opts.profile !== 'anthropic' && opts.profile !== 'bedrock') {
          throw new UsageError(`--profile must be anthropic or bedrock, got ${opts.profile ?? 'nothing'}`);
        }
        break;
      case '--strict-fields':
        opts.strictFields = true;
        break;
      case '--keep-whitespace':
        opts.keepWhitespace = true;
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

function readAll(file) {
  return file === undefined || file === '-' ? readFileSync(0) : readFileSync(file);
}

const stdout = () => Writable.toWeb(process.stdout);

function report(opts, value) {
  if (opts.report) process.stderr.write(JSON.stringify(value, null, 2) + '\n');
}

const commands = {
  async clean(opts) {
    let last;
    const sanitizer = createSanitizerStream({
      dropWhitespaceOnlyText: !opts.keepWhitespace,
      onReport: (r) => (last = r),
    });
    await Readable.toWeb(input(opts.file)).pipeThrough(sanitizer).pipeTo(stdout());
    report(opts, last);
    return 0;
  },

  async events(opts) {
    const toLines = new TransformStream({
      transform(event, controller) {
        controller.enqueue(JSON.stringify(event) + '\n');
      },
    });
    await Readable.toWeb(input(opts.file))
      .pipeThrough(createEventStream())
      .pipeThrough(toLines)
      .pipeThrough(new TextEncoderStream())
      .pipeTo(stdout());
    return 0;
  },

  async accumulate(opts) {
    const message = await accumulate(Readable.toWeb(input(opts.file)));
    process.stdout.write(JSON.stringify(message, null, 2) + '\n');
    return 0;
  },

  async normalize(opts) {
    const { body, changes } = normalize(readAll(opts.file), {
      profile: opts.profile,
      strictFields: opts.strictFields,
    });
    process.stdout.write(body);
    report(opts, changes);
    return 0;
  },

  async validate(opts) {
    const violations = validate(readAll(opts.file), { profile: opts.profile });
    for (const v of violations) process.stdout.write(JSON.stringify(v) + '\n');
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
  try {
    return await run(opts);
  } catch (err) {
    if (err?.code === 'ENOENT') {
      process.stderr.write(`sse-sanitizer: ${opts.file}: no such file\n`);
      return 2;
    }
    if (err?.code === 'EPIPE') return 0;
    if (err instanceof SanitizerError) {
      process.stderr.write(`sse-sanitizer: ${err.code}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
