// The demo's Web Worker: all the library work for an input (sanitize with its
// trace, parse, accumulate, normalize, validate) happens here, off the main
// thread, on the public package build. Requests: { id, op, ...args }; answers:
// { id, result } or { id, error }, and { id, progress } while working.
import * as lib from '/js/browser.js';
import { analyzeRequest, analyzeStream, classify, harEntries, profileVerdict, triageEntry } from './analyze.js';

// The input being looked at (its bytes, what it was found to be, its HAR
// entries, what no option changes: see analyzeStream), and the turns of the
// stream shown last: a change of profile re-runs only what depends on it, and
// the History view of a stream asks for them.
let input = null;
let shownStream = null;

/** A stream's analysis without what stays here (the accumulated turns). */
function shown(analysis) {
  if (analysis?.kind !== 'stream') return analysis;
  const { kept, ...posted } = analysis;
  shownStream = kept;
  return posted;
}

const ops = {
  /** A new input: `{ bytes, options }` → what it is, analysed. */
  async load({ bytes, options }, progress) {
    input = { bytes, found: classify(lib, bytes), har: null, cache: {} };
    shownStream = null;
    return analyze(options, progress);
  },

  /** The current input again, with other options (a profile change). */
  async reanalyze({ options }, progress) {
    return input ? analyze(options, progress) : null;
  },

  /** One HAR entry: its request body and its response (stream or error body), analysed. */
  async entry({ i, options }, progress) {
    const entry = input?.har?.find((e) => e.i === i);
    if (!entry) throw new Error(`no HAR entry ${i}`);
    return analyzeEntry(entry, options, progress);
  },

  /** The verdict on the shown stream's turns under another profile. */
  async verdict({ profile }) {
    if (!shownStream) throw new Error('no stream analysed');
    return profileVerdict(lib, shownStream, profile);
  },

  /** The History view of a body, or (`derived`) of the request that replays the shown stream's turns. */
  async request({ body, derived, options }) {
    if (derived && !shownStream) throw new Error('no stream analysed');
    const request = derived ? shownStream.replay() : body;
    return { ...analyzeRequest(lib, request, options), body: request };
  },
};

async function analyzeEntry(entry, options, progress) {
  const out = { entry: entry.i, request: null, stream: null, response: null };
  if (entry.request) out.request = { body: entry.request, ...analyzeRequest(lib, entry.request, options) };
  const found = classify(lib, entry.responseBytes);
  if (entry.stream && found.kind === 'stream') {
    out.stream = shown(await analyzeStream(lib, entry.responseBytes, options, progress, (entry.cache ??= {})));
    out.streamBytes = entry.responseBytes;
  } else out.response = found;
  return out;
}

async function analyze(options, progress) {
  const { bytes, found } = input;
  switch (found.kind) {
    case 'stream':
      return shown(await analyzeStream(lib, bytes, options, progress, input.cache));
    case 'request':
      return { ...analyzeRequest(lib, found.json, options), body: found.json };
    case 'har': {
      progress('reading the HAR');
      input.har ??= harEntries(found.json);
      const entries = [];
      for (const [k, entry] of input.har.entries()) {
        progress(`entry ${k + 1} of ${input.har.length}`, k / input.har.length);
        entries.push(await triageEntry(lib, entry, options));
      }
      // A HAR with one Messages API call opens it directly.
      const opened = input.har.length === 1 ? await analyzeEntry(input.har[0], options, progress) : null;
      return { kind: 'har', entries, opened };
    }
    default:
      return found;
  }
}

self.onmessage = async ({ data: { id, op, ...args } }) => {
  const progress = (phase, fraction) => self.postMessage({ id, progress: { phase, fraction } });
  try {
    // NOTE: copied, not transferred: a sanitized output that equals its
    // input is the input itself, which this worker keeps.
    self.postMessage({ id, result: await ops[op](args, progress) });
  } catch (err) {
    self.postMessage({ id, error: { code: err.code ?? err.name, message: err.message } });
  }
};
// NOTE: the package loads its wasm without top-level await; the analyses call it synchronously.
await lib.ready;
self.postMessage({ ready: true });
