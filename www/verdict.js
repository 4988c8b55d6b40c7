// The verdict banner, first on every view: what a strict consumer answers
// (the exact upstream texts, per profile), what the sanitizer or normalize()
// changed and why, and whether the result is accepted.
import { profiles, rules } from '/js/browser.js';
import { $, fill, el, plural } from './util.js';
import { LEGEND, noteText } from './legend.js';
import { profileIds } from './analyze.js';

const ok = (text) => el('span', { class: 'ok' }, '✓ ', text);
const bad = (text) => el('span', { class: 'bad' }, '✗ ', text);
const upstream = (message) => el('code', { class: 'upstream' }, message);
const ruleLink = (id) => el('a', { href: `#rule-${id}`, class: 'rule', title: rules().find((r) => r.id === id)?.fix ?? 'validator only' }, id);

const GROUPS_SHOWN = 5;
const PLACES_SHOWN = 4;

/** Violations grouped by rule, in order: [{ rule, first, items }]. */
function grouped(violations) {
  const out = new Map();
  for (const v of violations) {
    const g = out.get(v.rule) ?? { rule: v.rule, first: v, items: [] };
    g.items.push(v);
    out.set(v.rule, g);
  }
  return [...out.values()];
}

/** One list item per rule with the exact upstream text of its first case, where (a few places), and the hint. */
function answers(violations, where) {
  const groups = grouped(violations);
  return el(
    'ul',
    { class: 'answers' },
    groups.slice(0, GROUPS_SHOWN).map(({ rule, first, items }) =>
      el(
        'li',
        {},
        el('span', { class: 'status' }, '400 '),
        upstream(first.message),
        ' — ',
        ruleLink(rule),
        ', ',
        where(items.slice(0, PLACES_SHOWN)),
        items.length > PLACES_SHOWN ? ` and ${items.length - PLACES_SHOWN} more` : '',
        first.hint ? el('details', { class: 'hint' }, el('summary', {}, 'why not just remove it?'), first.hint) : null,
      ),
    ),
    groups.length > GROUPS_SHOWN ? el('li', {}, `and ${plural(groups.length - GROUPS_SHOWN, 'other rule')}`) : null,
  );
}

/** One line per other profile: `messages(p)` lists its upstream answers (undefined while it is being checked). */
function otherProfile(profile, messages) {
  const mine = [...new Set(messages(profile))].sort().join('\n');
  return profileIds({ profiles })
    .filter((p) => p !== profile)
    .map((other) => {
      if (messages(other) === undefined) return el('p', { class: 'muted' }, `Under ${other}: checking…`);
      const theirs = [...new Set(messages(other))].sort();
      let text;
      if (theirs.length === 0) text = 'accepted.';
      else if (theirs.join('\n') === mine) text = 'the same answer.';
      else text = ['rejected (', plural(theirs.length, 'reason'), '): ', upstream(theirs[0]), theirs.length > 1 ? ', …' : ''];
      return el('p', { class: 'muted' }, `Under ${other}: `, text);
    });
}

/** The banner's shape: a headline, then the upstream's answer, what was done and the result side by side. */
function layout(headline, answer, [didTitle, did], [afterTitle, after]) {
  return [
    el('h2', {}, headline),
    el(
      'div',
      { class: 'columns' },
      el('div', {}, el('h3', {}, 'What a strict upstream answers'), answer),
      el('div', {}, el('h3', {}, didTitle), did),
      el('div', {}, el('h3', {}, afterTitle), after),
    ),
  ];
}

// ---- streams ----

/** The first row of a block (message, index), or of an event number. */
function rowWhere(cols, test) {
  for (let i = 0; i < cols.action.length; i++) if (test(i)) return i;
  return -1;
}

function streamVerdict(analysis, profile, { jump }) {
  const { verdict, report, cols } = analysis;
  const rowOf = (b) => rowWhere(cols, (i) => cols.message[i] === b.message && cols.index[i] === b.index && cols.event[i] >= 0);
  const rowOfEvent = (event) => rowWhere(cols, (i) => cols.event[i] === event);
  const v = verdict.verdicts[profile];
  if (verdict.foreign) {
    return [
      el('h2', {}, bad('Not a Claude Messages stream')),
      el(
        'p',
        {},
        `None of its ${plural(report.eventsSeen, 'event')} is an Anthropic Messages event: each was passed through unchanged (report note `,
        el('code', {}, 'non-claude-event'),
        '). ',
        verdict.openai
          ? 'It is an OpenAI chat.completions stream (what LiteLLM’s /chat/completions returns): Claude clients and this sanitizer need the Messages API, /v1/messages.'
          : 'A Claude client cannot read it.',
      ),
    ];
  }
  const turns = verdict.turns.length;
  const show = (row) => (row >= 0 ? [' ', el('button', { type: 'button', class: 'link', onclick: () => jump(row) }, 'show')] : '');
  const where = (items) =>
    items.map((item, k) => [k ? '; ' : '', turns > 1 ? `turn ${item.turn + 1}, ` : '', item.block >= 0 ? `block ${item.block}` : 'the whole turn', show(item.row)]);
  const sdkErrors = verdict.turns.map((t, k) => ({ ...t, k })).filter((t) => t.error);
  let headline;
  const answer = [];
  if (v.before.length) {
    headline = bad(turns > 1 ? 'Sent back, the turns of this stream are rejected' : 'Sent back, this stream’s turn is rejected');
    answer.push(el('p', {}, `Stored as the SDK accumulated it, the turn gets on the next request (${profile}):`), answers(v.before, where));
  } else if (turns === 0) {
    headline = bad('No message in this stream');
    answer.push(el('p', {}, 'No message_start: a client builds no turn from it.'));
  } else if (sdkErrors.length === turns) {
    headline = bad('The SDK builds no turn from this stream');
  } else {
    headline = ok(turns > 1 ? `Sent back as they are, its ${turns} turns are accepted (${profile})` : `Sent back as it is, this stream’s turn is accepted (${profile})`);
    answer.push(el('p', {}, 'Stored as the SDK accumulated it and sent back, the turn passes every rule of the catalog.'));
  }
  for (const t of sdkErrors) {
    answer.push(el('p', {}, bad(`${turns > 1 ? `Turn ${t.k + 1}: ` : ''}the official SDK’s finalMessage() raises `), el('code', {}, `${t.error.code}: ${t.error.message}`)));
  }
  if (turns) answer.push(otherProfile(profile, (p) => verdict.verdicts[p]?.before.map((x) => x.message)));
  if (verdict.anomalies?.length) {
    answer.push(el('p', {}, 'Stream anomalies (validateStream):'), el('ul', {}, verdict.anomalies.map((a) => el('li', {}, el('code', {}, a.code), ` at event ${a.event}: `, a.message))));
  }

  // What the sanitizer did.
  const did = [];
  const dropped = report.blocksDropped;
  const replaced = report.blocksReplaced;
  const renumbered = cols.action.reduce((n, a) => n + (a === 1), 0);
  const at = (b) => [`index ${b.index}${turns > 1 ? ` of turn ${b.message + 1}` : ''}`, show(rowOf(b))];
  if (dropped.length) {
    did.push(el('li', { class: 'dropped' }, `Dropped ${plural(dropped.length, 'blank text block')}: `, dropped.slice(0, 5).map((b, k) => [k ? '; ' : '', ruleLink(b.reason), ' at ', at(b)]), dropped.length > 5 ? '; …' : ''));
  }
  if (replaced.length) {
    did.push(
      el(
        'li',
        { class: 'placeholder' },
        `Kept ${plural(replaced.length, 'blank text block')} in place with placeholder text (not dropped: that would move the signed thinking block, which the API refuses): `,
        replaced.slice(0, 5).map((b, k) => [k ? '; ' : '', ruleLink(b.rule), ` (${b.reason === 'thinking-follows' ? 'a thinking block follows' : 'a thinking block came earlier'}) at `, at(b)]),
      ),
    );
  }
  if (report.eventsNamed) {
    did.push(el('li', { class: 'named', title: LEGEND.named }, `Named ${plural(report.eventsNamed, 'data-only event')}: added the event: line the official SDK needs to see ${report.eventsNamed === 1 ? 'it' : 'them'} (eventNames).`));
  }
  if (renumbered) did.push(el('li', { class: 'renumbered' }, `Renumbered ${plural(renumbered, 'later event')} so that block indices stay contiguous.`));
  const notes = new Map();
  for (const n of report.notes) notes.set(n.code, [...(notes.get(n.code) ?? []), n]);
  for (const [code, list] of notes) {
    did.push(el('li', { class: 'note', title: noteText(code) }, el('code', {}, code), list.length > 1 ? ` ×${list.length}` : '', ': ', noteText(code), show(rowOfEvent(list[0].event))));
  }

  // The result.
  const after = [];
  if (report.eventsChanged > 0 || v.before.length) {
    if (v.after.length === 0) after.push(el('p', {}, ok(`The sanitized stream’s ${turns > 1 ? 'turns are' : 'turn is'} accepted (${profile}).`)));
    else {
      const fixedBy = v.normalized && v.normalized.unfixed === 0 ? v.normalized.rules : null;
      after.push(
        el('p', {}, bad('Sanitized, a stored turn is still rejected:')),
        answers(v.after, (items) => (turns > 1 ? items.map((i) => `turn ${i.turn + 1}`).join(', ') : 'the turn')),
        fixedBy
          ? el('p', {}, ok('normalize() on the next request fixes it'), ' (', fixedBy.map((r, k) => [k ? ', ' : '', ruleLink(r)]), '): then it is accepted.')
          : el('p', {}, 'normalize() cannot fix it (no safe automatic fix).'),
      );
    }
  } else after.push(el('p', {}, 'Nothing to fix: the sanitized stream is the input, byte for byte.'));

  return layout(headline, answer, [`What the sanitizer did (${profile})`, did.length ? el('ul', { class: 'did' }, did) : el('p', {}, 'Nothing: every byte passes unchanged.')], ['After sanitizing', after]);
}

// ---- requests ----

function requestVerdict(result, profile, { openTab }) {
  const v = result.verdicts[profile];
  const where = (items) => items.map((i) => el('code', {}, i.path || '/')).flatMap((c, k) => (k ? [', ', c] : [c]));
  const headline = v.before.length ? bad(`As sent, this request is rejected (${profile})`) : ok(`As sent, this request is accepted (${profile})`);
  const answer = [
    v.before.length ? answers(v.before, where) : el('p', {}, 'It passes every rule of the catalog.'),
    otherProfile(profile, (p) => result.verdicts[p].before.map((x) => x.message)),
  ];
  const changedRules = [...new Set(result.changes.map((c) => c.rule))];
  const did = [
    el('p', {}, result.changes.length ? [`${plural(result.changes.length, 'change')}: `, changedRules.map((r, k) => [k ? ', ' : '', ruleLink(r)]), '.'] : 'Nothing to change.'),
    el('p', {}, el('button', { type: 'button', class: 'link', onclick: () => openTab('history') }, 'See the changes and the diff')),
  ];
  const after = [];
  if (v.after.length === 0) after.push(el('p', {}, ok(`The normalized request is accepted (${profile}).`)));
  else after.push(el('p', {}, bad('Still rejected (no safe automatic fix):')), answers(v.after, where));
  return layout(headline, answer, [`What normalize() did (${profile})`, did], ['After normalize()', after]);
}

// ---- HAR ----

function harVerdict(har, profile, { openTab }) {
  const failed = har.entries.filter((e) => e.status >= 400);
  const rejected = har.entries.filter((e) => e.request?.before[profile] > 0);
  const streamsRejected = har.entries.filter((e) => e.response?.before > 0);
  const parts = [el('h2', {}, failed.length ? bad(`HAR: ${plural(failed.length, 'failed call')} of ${plural(har.entries.length, 'Messages API call')}`) : `HAR: ${plural(har.entries.length, 'Messages API call')}`)];
  if (har.entries.length === 0) parts.push(el('p', {}, 'No Messages API request (POST …/v1/messages) and no event stream in this HAR.'));
  const items = [];
  for (const e of failed.slice(0, 5)) items.push(el('li', {}, `#${e.i} → ${e.status}: `, e.error ? upstream(e.error.message) : e.statusText || 'no error body'));
  if (rejected.length) items.push(el('li', {}, `${plural(rejected.length, 'request body', 'request bodies')} would be rejected as sent (${profile}).`));
  if (streamsRejected.length) items.push(el('li', {}, `${plural(streamsRejected.length, 'streamed turn')} would be rejected when sent back.`));
  if (items.length) parts.push(el('ul', {}, items));
  parts.push(el('p', {}, el('button', { type: 'button', class: 'link', onclick: () => openTab('har') }, 'Open the HAR view'), ' to open an entry.'));
  return parts;
}

function entryVerdict(input, profile, actions) {
  const { entry } = input;
  const parts = [];
  const error = entry.error;
  if (error) {
    parts.push(el('h2', {}, bad(`The upstream answered ${entry.status}`)), el('p', {}, el('code', {}, error.type ?? 'error'), ': ', upstream(error.message)));
    const predicted = input.request?.result.verdicts[profile].before.find((v) => error.message.includes(v.message));
    if (predicted) parts.push(el('p', {}, ok('validate() predicts exactly this answer: '), ruleLink(predicted.rule), ' at ', el('code', {}, predicted.path)));
    else if (error.rules.length) parts.push(el('p', {}, 'The rules catalog knows this answer: ', error.rules.map((r, k) => [k ? ', ' : '', ruleLink(r)])));
  }
  if (input.request) parts.push(el('div', { class: 'sub-verdict' }, requestVerdict(input.request.result, profile, actions)));
  if (input.stream) parts.push(el('div', { class: 'sub-verdict' }, streamVerdict(input.stream.result, profile, actions)));
  else if (!error && input.response) parts.push(el('p', {}, `The response (${entry.status}) is not an event stream.`));
  return parts;
}

function errorVerdict(error) {
  if (error.kind === 'error-body') {
    return [
      el('h2', {}, bad('An upstream error response')),
      el('p', {}, el('code', {}, error.error.type ?? 'error'), ': ', upstream(error.error.message)),
      error.rules.length
        ? el(
            'p',
            {},
            'The rules catalog knows this answer: ',
            error.rules.map((id, k) => [k ? '; ' : '', ruleLink(id), ` — ${rules().find((r) => r.id === id)?.fix ?? 'validator only: no safe automatic fix'}`]),
            '. Load the request body that got it (or a HAR of the session) to see where.',
          )
        : el('p', {}, 'No rule of the catalog produces this text: it is not a history-shape error the normalizer can fix.'),
    ];
  }
  return [el('h2', {}, bad(error.title)), el('p', { class: 'error-detail' }, error.detail)];
}

/** Fills the banner for `input`. */
export function renderVerdict(banner, input, actions) {
  const profile = $('profile').value;
  let parts;
  if (input.kind === 'stream') parts = streamVerdict(input.stream.result, profile, actions);
  else if (input.kind === 'request') parts = requestVerdict(input.request.result, profile, actions);
  else if (input.kind === 'har') parts = harVerdict(input.har, profile, actions);
  else if (input.kind === 'entry') parts = entryVerdict(input, profile, actions);
  else parts = errorVerdict(input.error);
  banner.className = `verdict ${input.kind === 'error' || input.kind === 'error-body' ? 'is-error' : ''}`;
  banner.setAttribute('role', input.kind === 'error' ? 'alert' : 'region');
  banner.setAttribute('aria-busy', 'false');
  fill(banner, ...parts.flat());
  for (const a of banner.querySelectorAll('a.rule')) {
    a.addEventListener('click', () => {
      actions.openTab('history');
      $('catalog').open = true;
    });
  }
}
