// normalize / validate / rules / authHeaders through the built package: the
// same spec files and accepted-request fixture the Rust tests use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { SanitizerError, authHeaders, normalize, redactKey, rules, validate } from '../js/node.js';

const specDir = new URL('../tests/specs/history/', import.meta.url);
const encoder = new TextEncoder();

/**
 * A spec file: header options (the options object, one `name: value` a line,
 * the value JSON where it parses, else a string; see tests/specs/README.md),
 * then `# section` blocks of JSON.
 */
function readSpec(name) {
  const text = readFileSync(new URL(name, specDir), 'utf8');
  const [head, ...sections] = text.split(/^# /m);
  const options = {};
  for (const line of head.split('\n')) {
    const m = /^(\w+): (.*)$/.exec(line);
    if (!m) continue;
    try {
      options[m[1]] = JSON.parse(m[2]);
    } catch {
      options[m[1]] = m[2];
    }
  }
  const parts = {};
  for (const section of sections) {
    const nl = section.indexOf('\n');
    const value = section.slice(nl + 1).trim();
    // `unchanged`: the normalizer gave the same bytes back.
    parts[section.slice(0, nl).trim()] = value === 'unchanged' ? undefined : JSON.parse(value);
  }
  parts.output ??= parts.input;
  return { options, parts };
}

test('every spec file gives the same output, changes and violations through the package', () => {
  const files = readdirSync(specDir).filter((f) => f.endsWith('.txt'));
  assert.ok(files.length >= 40);
  for (const file of files) {
    const { options, parts } = readSpec(file);
    const { body, changes } = normalize(parts.input, options);
    assert.deepEqual(body, parts.output, `${file}: output`);
    assert.deepEqual(changes, parts.changes, `${file}: changes`);
    const raw = parts['violations of the raw input'];
    if (raw) assert.deepEqual(validate(parts.input, options), raw, `${file}: raw violations`);
    assert.deepEqual(validate(body, options), parts.violations, `${file}: violations after`);
    // Idempotent, and the same answer for every input form.
    assert.deepEqual(normalize(body, options).changes, [], `${file}: idempotent`);
    const asString = JSON.stringify(parts.input);
    assert.deepEqual(JSON.parse(normalize(asString, options).body), parts.output, `${file}: string form`);
    const asBytes = normalize(encoder.encode(asString), options).body;
    assert.ok(asBytes instanceof Uint8Array);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(asBytes)), parts.output, `${file}: bytes form`);
  }
});

test('accepted requests with mid-conversation system messages (tests/accepted): unchanged and clean under their profile', () => {
  const lines = readFileSync(new URL('../tests/fixtures/accepted.jsonl', import.meta.url), 'utf8').trim().split('\n');
  assert.ok(lines.length >= 13);
  for (const line of lines) {
    const { source, profile, body } = JSON.parse(line);
    const bytes = encoder.encode(JSON.stringify(body));
    const out = normalize(bytes, { profile });
    assert.equal(out.body, bytes, `${source}: the same bytes back`);
    assert.deepEqual(out.changes, [], source);
    assert.deepEqual(validate(bytes, { profile }), [], source);
  }
});

test('every request the real API accepted comes back unchanged (same value) and validates clean', () => {
  const lines = readFileSync(new URL('../tests/fixtures/requests.jsonl', import.meta.url), 'utf8').trim().split('\n');
  assert.ok(lines.length >= 150);
  for (const line of lines) {
    const { source, body } = JSON.parse(line);
    const json = JSON.stringify(body);
    const bytes = encoder.encode(json);
    const out = normalize(bytes);
    assert.equal(out.body, bytes, `${source}: the same bytes back`);
    assert.deepEqual(out.changes, [], source);
    assert.equal(normalize(json).body, json, source);
    assert.equal(normalize(body).body, body, source);
    assert.deepEqual(validate(bytes), [], source);
  }
});

test('errors are typed SanitizerErrors with kebab-case codes', () => {
  const code = (fn) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof SanitizerError, String(e));
      return e.code;
    }
    return 'no error';
  };
  assert.equal(code(() => normalize('{"messages": [')), 'invalid-json');
  assert.equal(code(() => normalize('{"model": "x"}')), 'invalid-shape');
  assert.equal(code(() => normalize(42)), 'invalid-input');
  assert.equal(code(() => normalize({ messages: [] }, { profile: 'openai' })), 'invalid-option');
  assert.equal(code(() => normalize({ messages: [] }, { rules: { 'no-such-rule': false } })), 'invalid-option');
  const deep = `{"messages":[{"role":"user","content":${'['.repeat(10_000)}${']'.repeat(10_000)}}]}`;
  assert.equal(code(() => normalize(deep)), 'max-depth-exceeded');
  assert.equal(code(() => validate(deep)), 'max-depth-exceeded');
  assert.equal(code(() => normalize('{"messages":[]}', { maxBodyBytes: 4 })), 'body-too-large');
});

test('the rules catalog is the one the normalizer reports from', () => {
  const catalog = rules();
  assert.ok(Object.isFrozen(catalog));
  const ids = new Set(catalog.map((r) => r.id));
  for (const id of ['empty-text', 'whitespace-text', 'cache-control-on-empty', 'foreign-field', 'tool-input-string', 'empty-message', 'merge-roles', 'tool-result-first', 'missing-tool-result', 'orphan-tool-result', 'final-trailing-whitespace', 'empty-system', 'thinking-untouched']) {
    assert.ok(ids.has(id), id);
  }
  const emptyText = catalog.find((r) => r.id === 'empty-text');
  assert.ok([emptyText.message, ...emptyText.otherMessages].includes('messages: text content blocks must be non-empty'));
  for (const file of readdirSync(specDir)) {
    const { parts } = readSpec(file);
    for (const c of parts.changes ?? []) assert.ok(ids.has(c.rule), `${file}: ${c.rule} in the catalog`);
  }
});

test('authHeaders: key kinds × base URLs × modes, never both headers, keys never in errors', () => {
  const keys = {
    api: 'sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAA-wxyz',
    oauth: 'sk-ant-oat01-BBBBBBBBBBBBBBBBBBBBBBBBBBBB-wxyz',
    virtual: 'sk-litellm-virtual-CCCCCCCCCCCCCCCCC-wxyz',
  };
  const bases = [undefined, 'https://api.anthropic.com', 'http://127.0.0.1:4000/anthropic'];
  for (const [kind, key] of Object.entries(keys)) {
    for (const baseURL of bases) {
      for (const authMode of [undefined, 'api-key', 'bearer']) {
        const h = authHeaders({ apiKey: key, baseURL, authMode });
        const where = `${kind} ${baseURL} ${authMode}`;
        assert.ok(('x-api-key' in h) !== ('authorization' in h), `${where}: exactly one auth header`);
        assert.equal(h['anthropic-version'], '2023-06-01');
        const custom = baseURL?.startsWith('http://127.0.0.1');
        const bearer = authMode ? authMode === 'bearer' : kind === 'oauth' || custom;
        if (bearer) assert.equal(h.authorization, `Bearer ${key}`, where);
        else assert.equal(h['x-api-key'], key, where);
        assert.equal(h['anthropic-beta'] === 'oauth-2025-04-20', kind === 'oauth' && bearer, where);
      }
    }
  }
  // Priority: explicit → configured → environment.
  assert.equal(authHeaders({ apiKey: keys.api, configuredKey: keys.virtual })['x-api-key'], keys.api);
  assert.equal(authHeaders({ configuredKey: keys.virtual, env: { ANTHROPIC_API_KEY: keys.api } })['x-api-key'], keys.virtual);
  assert.equal(authHeaders({ env: { ANTHROPIC_AUTH_TOKEN: keys.oauth } }).authorization, `Bearer ${keys.oauth}`);
  assert.equal(authHeaders({ apiKey: keys.oauth, anthropicBeta: 'files-api-2025-04-14' })['anthropic-beta'], 'files-api-2025-04-14,oauth-2025-04-20');
  assert.equal(redactKey(keys.api), 'sk-ant-…wxyz');

  const errors = [
    () => authHeaders({}),
    () => authHeaders({ apiKey: 'sk-ant-api03-has space-wxyz' }),
    () => authHeaders({ apiKey: keys.api, baseURL: 'not a url' }),
    () => authHeaders({ apiKey: keys.api, authMode: 'magic' }),
    () => authHeaders({ apiKey: keys.api, anthropicVersion: 'bad\nvalue' }),
  ];
  const codes = [];
  for (const fn of errors) {
    try {
      fn();
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof SanitizerError);
      codes.push(e.code);
      for (const key of [...Object.values(keys), 'sk-ant-api03-has space-wxyz']) {
        assert.ok(!`${e.message} ${e.stack} ${JSON.stringify(e)}`.includes(key.slice(8, -4)), `${e.code} leaks a key`);
      }
    }
  }
  assert.deepEqual(codes, ['missing-key', 'invalid-key', 'invalid-base-url', 'invalid-auth-mode', 'invalid-header-value']);
});
