// Runs a real LiteLLM proxy (the pinned venv that `scripts/setup.sh litellm`
// builds) on 127.0.0.1, configured to route one model to a given upstream.
// Nothing leaves the machine: every LiteLLM download is switched to its bundled
// local copy, and every upstream is on 127.0.0.1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { signalGroup, stopGroup } from './process.js';

export const LITELLM_VERSION = '1.106.1';
export const MODEL_NAME = 'claude-strict';
const repoRoot = new URL('../../', import.meta.url).pathname;

export function litellmVenv() {
  const cache = process.env.SSE_SANITIZER_CACHE ?? join(homedir(), '.cache', 'sse-sanitizer');
  return join(cache, `litellm-${LITELLM_VERSION}`);
}

/** The venv's litellm binary; runs `scripts/setup.sh litellm` when it is missing (minutes, once). */
export function ensureLitellm() {
  const venv = litellmVenv();
  if (!existsSync(join(venv, '.complete'))) {
    const r = spawnSync('bash', [join(repoRoot, 'scripts/setup.sh'), 'litellm'], { stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(join(venv, '.complete'))) {
      throw new Error(`LiteLLM venv missing at ${venv} and \`bash scripts/setup.sh litellm\` failed (exit ${r.status})`);
    }
  }
  return join(venv, 'bin', 'litellm');
}

/** A port free right now on 127.0.0.1 (LiteLLM cannot report the port it bound to). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts LiteLLM with model `claude-strict` → anthropic/claude-sonnet-4-5 at
 * `upstreamURL` (api_key `upstreamKey`), and the `/anthropic` pass-through
 * pointed at the same upstream. Resolves when /health/liveliness answers.
 * Returns { url, masterKey, logs(), stop() }; stop() ends the whole process
 * group and removes the temp dir.
 */
export async function startLitellm({ upstreamURL, upstreamKey, timeoutMs = 60_000 }) {
  const bin = ensureLitellm();
  const dir = mkdtempSync(join(tmpdir(), 'sse-sanitizer-litellm-'));
  const masterKey = `sk-master-${randomBytes(12).toString('hex')}`;
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'model_list:',
      `  - model_name: ${MODEL_NAME}`,
      '    litellm_params:',
      '      model: anthropic/claude-sonnet-4-5',
      `      api_base: ${JSON.stringify(upstreamURL)}`,
      `      api_key: ${JSON.stringify(upstreamKey)}`,
      'general_settings:',
      `  master_key: ${JSON.stringify(masterKey)}`,
      'litellm_settings:',
      '  telemetry: false',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PYTHONUNBUFFERED: '1',
    LITELLM_LOCAL_MODEL_COST_MAP: 'True',
    LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS: 'True',
    LITELLM_LOCAL_BLOG_POSTS: 'True',
    LITELLM_LOCAL_POLICY_TEMPLATES: 'True',
    LITELLM_LOCAL_AUTOROUTER_PRESETS: 'True',
    DISABLE_ADMIN_UI: 'True',
    LITELLM_TELEMETRY: 'False',
    // The /anthropic pass-through route reads its upstream and key from these.
    ANTHROPIC_API_BASE: upstreamURL,
    ANTHROPIC_API_KEY: upstreamKey,
  };
  // detached: its own process group, so stop() reaches uvicorn's workers too.
  const child = spawn(bin, ['--config', config, '--host', '127.0.0.1', '--port', String(port)], {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d) => {
    output = (output + d).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let done = false;
  // Last resort when the test process ends without stop() (an uncaught error):
  // 'exit' handlers must be synchronous, so the group gets SIGKILL.
  const killOnExit = () => {
    signalGroup(child, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  exited.then(() => {
    done = true;
    process.off('exit', killOnExit);
  });

  const stop = async () => {
    if (!done) await stopGroup(child, exited);
    rmSync(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (done) {
      await stop();
      throw new Error(`LiteLLM exited before it was ready:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/health/liveliness`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`LiteLLM not ready after ${timeoutMs} ms:\n${output}`);
    }
    await sleep(250);
  }
  return { url, masterKey, logs: () => output, stop };
}
