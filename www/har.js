// HAR view: every Messages API call of a HAR export with its status, the
// upstream's error text, the request body's verdict and the streamed turn's;
// a row opens its entry (request in History, stream in Stream).
import { $, fill, el, plural } from './util.js';

function path(url) {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}

function requestCell(e, profile) {
  if (!e.request) return el('td', { class: 'muted' }, 'no JSON body');
  const n = e.request.before[profile];
  return el(
    'td',
    { class: n ? 'bad' : 'ok' },
    n ? `✗ rejected (${n}): ` : '✓ accepted',
    n ? el('code', { class: 'upstream' }, e.request.first) : '',
    el('div', { class: 'muted' }, `${plural(e.request.messages, 'message')}; normalize(): ${plural(e.request.changes, 'change')}`),
  );
}

function responseCell(e) {
  if (e.error) return el('td', { class: 'bad' }, el('code', {}, e.error.type ?? 'error'), ': ', el('code', { class: 'upstream' }, e.error.message));
  const r = e.response;
  if (!r) return el('td', { class: 'muted' }, e.stream ? 'empty event stream' : 'not an event stream');
  const did = [r.dropped && `${r.dropped} dropped`, r.replaced && `${r.replaced} placeholder`, r.truncated && 'truncated', ...r.notes.filter((n) => n !== 'truncated')].filter(Boolean);
  return el(
    'td',
    { class: r.before || r.sdkError ? 'bad' : 'ok' },
    r.sdkError ? ['✗ SDK: ', el('code', {}, r.sdkError.code)] : r.before ? ['✗ turn rejected: ', el('code', { class: 'upstream' }, r.first)] : '✓ turn accepted',
    r.before && !r.after ? el('div', { class: 'ok' }, '✓ accepted once sanitized') : null,
    el('div', { class: 'muted' }, `stream; sanitizer: ${did.join(', ') || 'no change'}`),
  );
}

export function createHarView({ open }) {
  $('har').tBodies[0].addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-entry]');
    if (tr) open(Number(tr.dataset.entry));
  });
  return {
    render(input) {
      const har = input.har;
      $('har-empty').hidden = Boolean(har);
      $('har').closest('.scroll').hidden = !har;
      if (!har) {
        $('har-about').replaceChildren();
        $('har-empty').textContent = `The loaded input (${input.name}) is not from a HAR file. Export one from the browser's network panel (Save all as HAR) and open or drop it here.`;
        return;
      }
      const profile = $('profile').value;
      $('har-about').textContent = `${har.name}: ${plural(har.entries.length, 'Messages API call')} (POST …/v1/messages, or any event stream). Click a row to open it.`;
      fill($('har').tBodies[0],
        ...har.entries.map((e) =>
          el(
            'tr',
            { 'data-entry': String(e.i), class: [e.status >= 400 ? 'failed' : '', input.entry?.i === e.i ? 'selected' : ''].join(' ').trim() || null },
            el('td', { class: 'num' }, String(e.i)),
            el('td', {}, `${e.method} `, el('span', { class: 'url', title: e.url }, path(e.url))),
            el('td', { class: e.status >= 400 ? 'bad status' : 'status' }, `${e.status || '—'} ${e.statusText}`.trim()),
            requestCell(e, profile),
            responseCell(e),
            el('td', {}, el('button', { type: 'button' }, 'Open')),
          ),
        ),
      );
    },
  };
}
