// Debian's chromium driven by playwright-core, against pages served from
// 127.0.0.1 by scripts/serve.js. Any request to another origin is recorded and
// aborted, so a test can assert the page made none.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../scripts/serve.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A fresh headless Chromium with its own profile directory; `close()` removes both. */
export async function launchChromium() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'sse-sanitizer-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
      viewport: { width: 1280, height: 800 },
    });
    return {
      context,
      async close() {
        await context.close().catch(() => {});
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw new Error(`cannot launch Chromium at ${CHROMIUM} (set CHROMIUM_PATH): ${err.message}`, { cause: err });
  }
}

/** Starts the static server and a fresh headless Chromium; returns helpers. */
export async function startBrowser() {
  const server = await startServer({ port: 0 });
  let chromiumInstance;
  try {
    chromiumInstance = await launchChromium();
  } catch (err) {
    // NOTE: without this the open server keeps the test process alive and the
    // run hangs instead of failing with the launch error.
    await server.close();
    throw err;
  }
  const { context } = chromiumInstance;
  const foreignRequests = [];
  const consoleErrors = [];
  const origin = new URL(server.url).origin;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    foreignRequests.push(url);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => msg.type() === 'error' && consoleErrors.push(msg.text()));
  page.on('pageerror', (err) => consoleErrors.push(String(err)));
  return {
    page,
    context,
    url: server.url,
    foreignRequests,
    consoleErrors,
    async close() {
      await chromiumInstance.close();
      await server.close();
    },
  };
}
