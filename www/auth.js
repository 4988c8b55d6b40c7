// Auth view: base URL + key → the headers authHeaders() sends, the key shown
// redacted only, and why that header: each reason is read off authHeaders()
// itself, asked again with one input changed (the page has no auth rules).
import { authHeaders, redactKey } from '/js/browser.js';
import { $, fill, el } from './util.js';

// Made-up keys of each shape; a real one typed in stays on this page.
const EXAMPLES = {
  api: 'sk-ant-api03-EXAMPLEexampleEXAMPLEexampleEXAMPLE-AbCd',
  oauth: 'sk-ant-oat01-EXAMPLEexampleEXAMPLEexampleEXAMPLE-EfGh',
  virtual: 'sk-EXAMPLEproxyVirtualKey-IjKl',
};
const ANTHROPIC = 'https://api.anthropic.com';

function config() {
  const kind = $('key-kind').value;
  const key = kind === 'own' ? $('own-key').value : EXAMPLES[kind];
  return {
    key,
    config: {
      apiKey: key || undefined,
      baseURL: $('base-url').value || undefined,
      authMode: $('auth-mode').value || undefined,
      anthropicBeta: $('beta').value || undefined,
    },
  };
}

const redacted = (headers, key) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, key ? value.replace(key, redactKey(key)) : value]));

/** What to say instead of the library's message where the page knows better (a browser has no environment variables). */
function errorText(err) {
  if (err.code === 'missing-key') return 'No key: type your own key (it stays on this page) or choose an example key kind.';
  return err.message;
}

/** Headers for the current form, keys redacted: `{ url, headers }` or `{ error }`. */
export function requestFor() {
  const { key, config: c } = config();
  try {
    const headers = authHeaders(c);
    const base = (c.baseURL ?? ANTHROPIC).replace(/\/+$/, '');
    return { url: `${base}/v1/messages`, headers: redacted(headers, key) };
  } catch (err) {
    return { error: errorText(err), code: err.code };
  }
}

/** Why authHeaders() chose its header, found by asking it again with one input changed. */
function reasons(c, headers) {
  const bearer = 'authorization' in headers;
  const header = bearer ? 'Authorization: Bearer' : 'x-api-key';
  if (c.authMode) return [`${header}: forced by Auth mode “${c.authMode}”.`];
  const at = (baseURL) => {
    try {
      return 'authorization' in authHeaders({ ...c, baseURL });
    } catch {
      return null;
    }
  };
  const atAnthropic = at(ANTHROPIC);
  const out = [];
  if (bearer && atAnthropic === false) {
    out.push(
      `Authorization: Bearer because the base URL is not the Anthropic API: proxies and gateways (LiteLLM, an AI gateway) take their virtual keys as a Bearer token. With ${ANTHROPIC} the same key would go as x-api-key.`,
    );
  } else if (bearer) {
    out.push('Authorization: Bearer because of the key itself: authHeaders() sends it as Bearer even to the Anthropic API (an OAuth token, sk-ant-oat…, is always a Bearer token).');
  } else {
    out.push('x-api-key: an API key sent to the Anthropic API.');
  }
  const asked = (c.anthropicBeta ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const added = (headers['anthropic-beta'] ?? '').split(',').map((s) => s.trim()).filter((b) => b && !asked.includes(b));
  if (added.length) out.push(`anthropic-beta: ${added.join(', ')} added (the key needs it).`);
  out.push('Never both auth headers: one of them is always chosen.');
  return out;
}

export function showAuth() {
  const kind = $('key-kind').value;
  $('own-key').disabled = kind !== 'own';
  const { key, config: c } = config();
  const out = $('auth-out');
  try {
    const headers = authHeaders(c);
    const shown = redacted(headers, key);
    fill(out,
      el('table', { class: 'headers', 'aria-label': 'Request headers' }, el('tbody', {}, Object.entries(shown).map(([name, value]) => el('tr', {}, el('th', { scope: 'row' }, name), el('td', {}, el('code', {}, value)))))),
      el('h2', {}, 'Why'),
      el('ul', { id: 'auth-why' }, reasons(c, headers).map((r) => el('li', {}, r))),
    );
    return headers;
  } catch (err) {
    fill(out, el('p', { class: 'error', role: 'alert' }, el('strong', {}, 'No headers: '), errorText(err), ' ', el('code', {}, err.code)));
    return null;
  }
}

export function initAuth() {
  $('auth-form').addEventListener('input', showAuth);
  $('auth-form').addEventListener('submit', (e) => e.preventDefault());
  showAuth();
}
