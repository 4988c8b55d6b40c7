// History view: normalize() and validate() of the loaded request body (or of
// the request a client sends next with a loaded stream's turns stored), per
// profile, with the change list, the diff, Copy as cURL / fetch and the rules
// catalog. Everything shown comes from the worker's analysis.
import { profiles, rules } from '/js/browser.js';
import { $, fill, copy, download, el, plural } from './util.js';
import { profileIds } from './analyze.js';
import { requestFor } from './auth.js';

const CHANGES_SHOWN = 500;

function verdictCell(violations) {
  if (violations.length === 0) return el('td', { class: 'ok' }, '✓ accepted');
  return el(
    'td',
    { class: 'bad' },
    el('strong', {}, `✗ rejected (${violations.length})`),
    el(
      'ul',
      {},
      violations.map((v) =>
        el('li', {}, el('code', { class: 'upstream' }, v.message), ' — ', el('a', { href: `#rule-${v.rule}`, class: 'rule' }, v.rule), ` at ${v.path || '/'}`, v.hint ? el('details', { class: 'hint' }, el('summary', {}, 'why not just remove it?'), v.hint) : null),
      ),
    ),
  );
}

/** `curl` and `fetch` text for the normalized body, with the Auth view's URL and headers (key redacted). */
function snippets(body) {
  const { url, headers, error } = requestFor();
  if (error) return { error };
  const all = { ...headers, 'content-type': 'application/json' };
  const json = JSON.stringify(body, null, 2);
  const quote = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
  const curl = [`curl ${quote(url)}`, ...Object.entries(all).map(([k, v]) => `  -H ${quote(`${k}: ${v}`)}`), `  --data-binary @- <<'JSON'\n${json}\nJSON`].join(' \\\n');
  const fetchText = `await fetch(${JSON.stringify(url)}, {\n  method: 'POST',\n  headers: ${JSON.stringify(all, null, 2).replace(/\n/g, '\n  ')},\n  body: JSON.stringify(${json.replace(/\n/g, '\n  ')}),\n});`;
  return { curl, fetch: fetchText };
}

export function createHistoryView({ analyze }) {
  let shown = null;
  let latest = null;

  function about(input) {
    if (input.request.derived) {
      return [
        'Built from the loaded stream (',
        el('strong', {}, input.name),
        `): the request a chat client sends next, with its ${plural(input.stream.result.verdict.turns.length, 'turn')} stored as the SDK accumulated ${input.stream.result.verdict.turns.length === 1 ? 'it' : 'them'} from the raw stream, each followed by a user message.`,
      ];
    }
    return ['The request body of ', el('strong', {}, input.name), '.'];
  }

  function show(input, result) {
    shown = { input, result };
    const profile = $('profile').value;
    fill($('history-verdict').tBodies[0],
      ...profileIds({ profiles }).map((p) =>
        el('tr', { class: p === profile ? 'current' : null }, el('th', { scope: 'row' }, p === profile ? `${p} (selected)` : p), verdictCell(result.verdicts[p].before), verdictCell(result.verdicts[p].after)),
      ),
    );
    const { changes } = result;
    fill($('changes').tBodies[0],
      ...(changes.length
        ? changes.slice(0, CHANGES_SHOWN).map((c) =>
            el('tr', {}, el('td', {}, el('a', { href: `#rule-${c.rule}`, class: 'rule' }, c.rule)), el('td', {}, c.path), el('td', {}, c.action), el('td', {}, c.detail)),
          )
        : [el('tr', {}, el('td', { colspan: 4 }, `no change: the body is already safe under ${profile}`))]),
      ...(changes.length > CHANGES_SHOWN ? [el('tr', {}, el('td', { colspan: 4 }, `… ${changes.length - CHANGES_SHOWN} more (download the normalized body)`))] : []),
    );
    fill($('diff'),
      ...result.diff.map((d) =>
        d.op === '…' ? el('span', { class: 'skip' }, `  … ${plural(d.count, 'unchanged line')}\n`) : d.op === ' ' ? `  ${d.line}\n` : el('span', { class: d.op === '-' ? 'del' : 'ins' }, `${d.op} ${d.line}\n`),
      ),
    );
    for (const a of $('view-history').querySelectorAll('a.rule')) a.addEventListener('click', () => ($('catalog').open = true));
  }

  // The catalog: each rule's fix, its upstream answers under each profile,
  // and the public sources behind them (what the evidence leaves open last).
  fill($('rules'),
    ...rules().flatMap((r) => [
      el('dt', { id: `rule-${r.id}` }, r.id, ` (${r.profiles.join(', ')})`),
      el('dd', {}, r.fix ? `fix${r.optIn ? ` (with ${r.optIn})` : ''}: ${r.fix}` : 'validator only (no safe automatic fix)'),
      el(
        'dd',
        {},
        'prevents: ',
        el('ul', {}, Object.entries(r.messages).map(([p, texts]) => el('li', {}, `${p}: `, el('code', {}, texts[0]), texts.length > 1 ? ` (or ${plural(texts.length - 1, 'other text')})` : ''))),
      ),
      el('dd', {}, el('details', { class: 'sources' }, el('summary', {}, plural(r.sources.length, 'source')), el('ul', {}, r.sources.map((s) => el('li', {}, s))), r.note ? el('p', {}, r.note) : null)),
    ]),
  );
  const normalized = () => shown?.result.normalized;
  $('copy-history').addEventListener('click', (e) => shown && copy(JSON.stringify(normalized(), null, 2), e.currentTarget));
  $('download-history').addEventListener('click', () => shown && download('normalized.json', JSON.stringify(normalized(), null, 2), 'application/json'));
  for (const kind of ['curl', 'fetch']) {
    $(`copy-${kind}`).addEventListener('click', (e) => {
      if (!shown) return;
      const s = snippets(normalized());
      if (s.error) {
        e.currentTarget.textContent = `No headers: ${s.error} (see the Auth view)`;
        setTimeout(() => (e.currentTarget.textContent = e.currentTarget.dataset.label), 2500);
        return;
      }
      copy(s[kind], e.currentTarget);
    });
    $(`copy-${kind}`).dataset.label = $(`copy-${kind}`).textContent;
  }

  return {
    async render(input) {
      latest = input;
      const has = Boolean(input.request);
      $('history-body').hidden = !has;
      $('history-empty').hidden = has;
      if (!has) {
        $('history-about').replaceChildren();
        $('history-empty').textContent = `The loaded input (${input.name}) has no request body${input.stream ? '' : ' and no stream'}.`;
        return;
      }
      fill($('history-about'), ...about(input));
      if (!input.request.result) {
        fill($('history-verdict').tBodies[0], el('tr', {}, el('td', { colspan: 3 }, 'analysing…')));
        $('changes').tBodies[0].replaceChildren();
        $('diff').replaceChildren();
        input.request.result = await analyze(input.request);
        if (latest !== input) return;
      }
      show(input, input.request.result);
    },
    /** The cURL / fetch text of what is shown (for tests and the copy buttons). */
    snippets: () => shown && snippets(normalized()),
  };
}
