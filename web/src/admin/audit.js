// SPDX-License-Identifier: Apache-2.0
// quire portal, the customer admin's pages: the audit log (REP-4), newest first, filtered by
// the API (action, period), paged by its keyset cursor ("load more" sends `after`), and
// downloadable as CSV with the same filters.
import { useEffect, useState } from 'preact/hooks';
import { api, download } from '../api.js';
import { addMessages, fmtTime, t } from '../i18n.js';
import { Loading, Title, useApi } from '../pages.js';
import { Empty, errorText, Field, html, Notice } from '../ui.js';

addMessages({
  en: {
    'nav.audit': 'Audit log',
    'audit.title': 'Audit log',
    'audit.filters': 'Filters',
    'audit.action': 'Action',
    'audit.action.all': 'All actions',
    'audit.since': 'From (date)',
    'audit.until': 'To (date)',
    'audit.clear': 'Clear filters',
    'audit.count': '{n} entries loaded',
    'audit.csv': 'Download CSV',
    'audit.more': 'Load more',
    'audit.end': 'That is the whole log.',
    'audit.empty': 'No entries.',
    'audit.nomatch': 'No entry matches the filters.',
    'audit.col.time': 'Time',
    'audit.col.action': 'Action',
    'audit.col.actor': 'By',
    'audit.col.target': 'Target',
    'audit.col.detail': 'Detail',
    'audit.system': 'quire',
  },
  de: {
    'nav.audit': 'Audit-Protokoll',
    'audit.title': 'Audit-Protokoll',
    'audit.filters': 'Filter',
    'audit.action': 'Aktion',
    'audit.action.all': 'Alle Aktionen',
    'audit.since': 'Von (Datum)',
    'audit.until': 'Bis (Datum)',
    'audit.clear': 'Filter zurücksetzen',
    'audit.count': '{n} Einträge geladen',
    'audit.csv': 'Als CSV herunterladen',
    'audit.more': 'Mehr laden',
    'audit.end': 'Das ist das ganze Protokoll.',
    'audit.empty': 'Keine Einträge.',
    'audit.nomatch': 'Kein Eintrag passt zu den Filtern.',
    'audit.col.time': 'Zeit',
    'audit.col.action': 'Aktion',
    'audit.col.actor': 'Von',
    'audit.col.target': 'Ziel',
    'audit.col.detail': 'Detail',
    'audit.system': 'quire',
  },
});

const PAGE = 50;

/** A date input's value (YYYY-MM-DD, local) as Unix seconds at that day's start. */
function dayStart(s) {
  if (!s) return null;
  const [y, m, d] = s.split('-').map(Number);
  return Math.floor(new Date(y, m - 1, d).getTime() / 1000);
}

/** The API's filters of the form's values (from and to as whole local days). */
function filters(action, from, to) {
  const q = {};
  if (action) q.action = action;
  if (dayStart(from) !== null) q.from = String(Math.max(0, dayStart(from)));
  if (dayStart(to) !== null) q.to = String(dayStart(to) + 86399);
  return q;
}

function Audit({ me, headingRef }) {
  const base = `/api/v1/orgs/${me.org_id}/audit`;
  const [action, setAction] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const query = new URLSearchParams(filters(action, from, to)).toString();
  const first = useApi(`${base}?${new URLSearchParams({ ...filters(action, from, to), limit: String(PAGE) })}`);
  const users = useApi(`/api/v1/orgs/${me.org_id}/users`);
  const [extra, setExtra] = useState({ items: [], next: undefined });
  const [seen, setSeen] = useState([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => setExtra({ items: [], next: undefined }), [query]);
  const names = new Map(((users.data && users.data.items) || []).map((u) => [u.id, u.username]));
  const who = (id) => (id === null ? t('audit.system') : names.get(id) || id);
  const items = first.data ? [...first.data.items, ...extra.items] : [];
  const next = extra.next !== undefined ? extra.next : first.data && first.data.next;
  // The actions met so far, for the filter's choices (the API filters by the exact name).
  const known = [...new Set([...seen, ...items.map((e) => e.action), ...(action ? [action] : [])])].sort();
  useEffect(() => {
    if (known.length !== seen.length) setSeen(known);
  }, [items.length]);
  const more = async () => {
    setError('');
    setBusy(true);
    try {
      const r = await api('GET', `${base}?${new URLSearchParams({ ...filters(action, from, to), limit: String(PAGE), after: next })}`);
      setExtra({ items: [...extra.items, ...r.items], next: r.next });
    } catch (x) {
      setError(errorText(x));
    }
    setBusy(false);
  };
  const csv = async () => {
    setError('');
    try {
      await download(`${base}?${new URLSearchParams({ ...filters(action, from, to), format: 'csv' })}`, 'audit.csv');
    } catch (x) {
      setError(errorText(x));
    }
  };
  const filtered = Boolean(action || from || to);
  return html`<${Title} headingRef=${headingRef}>${t('audit.title')}<//>
    ${!first.data && !filtered ? html`<${Loading} error=${first.error} />` : html`
    <form class="card filters" aria-labelledby="afilters-h" onSubmit=${(e) => e.preventDefault()}>
      <h2 id="afilters-h" class="sr-only">${t('audit.filters')}</h2>
      <${Field} id="audit-action" label=${t('audit.action')}>
        ${(a) => html`<select ...${a} value=${action} onChange=${(e) => setAction(e.currentTarget.value)}>
          <option value="">${t('audit.action.all')}</option>${known.map((x) => html`<option value=${x}>${x}</option>`)}</select>`}
      <//>
      <${Field} id="audit-from" label=${t('audit.since')} error=${first.error && filtered ? errorText(first.error) : ''}>${(a) => html`<input ...${a} type="date" value=${from} onInput=${(e) => setFrom(e.currentTarget.value)} />`}<//>
      <${Field} id="audit-to" label=${t('audit.until')}>${(a) => html`<input ...${a} type="date" value=${to} onInput=${(e) => setTo(e.currentTarget.value)} />`}<//>
      <div class="actions">
        <button type="button" class="btn" onClick=${() => { setAction(''); setFrom(''); setTo(''); }}>${t('audit.clear')}</button>
        <button type="button" class="btn" onClick=${csv}>${t('audit.csv')}</button>
      </div>
    </form>
    <p class="muted" role="status">${t('audit.count', { n: items.length })}</p>
    ${!first.data ? '' : items.length === 0 ? html`<${Empty}>${filtered ? t('audit.nomatch') : t('audit.empty')}<//>` : html`<div class="table-wrap"><table>
      <thead><tr><th scope="col">${t('audit.col.time')}</th><th scope="col">${t('audit.col.action')}</th><th scope="col">${t('audit.col.actor')}</th><th scope="col">${t('audit.col.target')}</th><th scope="col">${t('audit.col.detail')}</th></tr></thead>
      <tbody>${items.map((e) => html`<tr data-audit=${e.id}>
        <td>${fmtTime(e.time)}</td><td><code>${e.action}</code></td><td class="name"><bdi>${who(e.actor_id)}</bdi></td>
        <td class="name"><bdi>${e.target_id === null ? '—' : names.get(e.target_id) || e.target_id}</bdi></td><td class="name"><bdi>${e.detail === null || e.detail === undefined ? '' : typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)}</bdi></td>
      </tr>`)}</tbody></table></div>`}
    <${Notice} kind="error">${error}<//>
    ${first.data && html`<div class="actions load-more">${!next ? html`<p class="muted">${t('audit.end')}</p>`
      : html`<button type="button" class="btn" disabled=${busy} onClick=${more}>${t('audit.more')}</button>`}</div>`}`}`;
}

export const pages = [{ path: 'audit', nav: 'nav.audit', view: Audit, roles: ['customer_admin', 'provider_admin'] }];
