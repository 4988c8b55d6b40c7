// Auth helper: base URL + key kind → the headers authHeaders() would send,
// with the key shown redacted only.
import { authHeaders, redactKey } from '/js/browser.js';
import { $ } from './util.js';

// Made-up keys of each shape; a real one typed in stays on this page.
const EXAMPLES = {
  api: 'sk-ant-api03-EXAMPLEexampleEXAMPLEexampleEXAMPLE-AbCd',
  oauth: 'sk-ant-oat01-EXAMPLEexampleEXAMPLEexampleEXAMPLE-EfGh',
  virtual: 'sk-EXAMPLEproxyVirtualKey-IjKl',
};

export function showAuth() {
  const kind = $('key-kind').value;
  $('own-key').disabled = kind !== 'own';
  const key = kind === 'own' ? $('own-key').value : EXAMPLES[kind];
  const out = $('headers');
  try {
    const headers = authHeaders({
      apiKey: key || undefined,
      baseURL: $('base-url').value || undefined,
      authMode: $('auth-mode').value || undefined,
      anthropicBeta: $('beta').value || undefined,
    });
    const shown = Object.entries(headers).map(([name, value]) => `${name}: ${key ? value.replace(key, redactKey(key)) : value}`);
    out.textContent = shown.join('\n');
    return headers;
  } catch (err) {
    out.textContent = `${err.code}: ${err.message}`;
    return null;
  }
}

export function initAuth() {
  $('auth-form').addEventListener('input', showAuth);
  $('auth-form').addEventListener('submit', (e) => e.preventDefault());
  showAuth();
}
