// SPDX-License-Identifier: Apache-2.0
// quire portal, the customer admin's pages: the audit log (REP-4), newest first, with
// filters and "load more". The API pages by `limit` today; when it answers a `next` cursor
// the page follows that instead.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
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
    'audit.count': '{n} of {total} loaded entries shown',
    'audit.more': 'Load more',
    'audit.end': 'That is the whole log.',
    'audit.empty': 'No entries.',
    'audit.nomatch': 'No loaded entry matches the filters; load more to search further back.',
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
    'audit.count': '{n} von {total} geladenen Einträgen angezeigt',
    'audit.more': 'Mehr laden',
    'audit.end': 'Das ist das ganze Protokoll.',
    'audit.empty': 'Keine Einträge.',
    'audit.nomatch': 'Kein geladener Eintrag passt zu den Filtern; laden Sie mehr, um weiter zurück zu suchen.',
    'audit.col.time': 'Zeit',
    'audit.col.action': 'Aktion',
    'audit.col.actor': 'Von',
    'audit.col.target': 'Ziel',
    'audit.col.detail': 'Detail',
    'audit.system': 'quire',
  },
});

const PAGE = 50;
const MAX_LIMIT = 1000; // the API's largest limit

/** A date input's value (YYYY-MM-DD, local) as Unix seconds at that day's start. */
function dayStart(s) {
  if (!s) return null;
  const [y, m, d] = s.split('-').map(Number);
  return Math.floor(new Date(y, m - 1, d).getTime() / 1000);
}

function Audit({ me, headingRef }) {
  const base = `/api/v1/orgs/${me.org_id}/audit`;
  const [limit, setLimit] = useState(PAGE);
  const first = useApi(`${base}?limit=${limit}`);
  const users = useApi(`/api/v1/orgs/${me.org_id}/users`);
  const [extra, setExtra] = useState({ items: [], next: undefined });
  const [action, setAction] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const names = new Map(((users.data && users.data.items) || []).map((u) => [u.id, u.username]));
  const who = (id) => (id === null ? t('audit.system') : names.get(id) || id);
  const items = first.data ? [...first.data.items, ...extra.items] : [];
  const next = extra.next !== undefined ? extra.next : first.data && first.data.next;
  // The end: no cursor (when the API pages by cursor), or fewer entries than asked for.
  const done = first.data && (first.data.next !== undefined ? !next : first.data.items.length < limit || limit >= MAX_LIMIT);
  const more = async () => {
    setError('');
    if (next) {
      setBusy(true);
      try {
        const r = await api('GET', `${base}?${new URLSearchParams({ limit: String(PAGE), cursor: next })}`);
        setExtra({ items: [...extra.items, ...r.items], next: r.next || null });
      } catch (x) {
        setError(errorText(x));
      }
      setBusy(false);
    } else setLimit(Math.min(MAX_LIMIT, limit + PAGE * 2));
  };
  const lo = dayStart(from);
  const hi = dayStart(to);
  const shown = items.filter(
    (e) => (!action || e.action === action) && (lo === null || e.time >= lo) && (hi === null || e.time < hi + 86400),
  );
  const actions = [...new Set(items.map((e) => e.action))].sort();
  return html`<${Title} headingRef=${headingRef}>${t('audit.title')}<//>
    ${!first.data ? html`<${Loading} error=${first.error} />` : html`
    <form class="card filters" aria-labelledby="afilters-h" onSubmit=${(e) => e.preventDefault()}>
      <h2 id="afilters-h" class="sr-only">${t('audit.filters')}</h2>
      <${Field} id="audit-action" label=${t('audit.action')}>
        ${(a) => html`<select ...${a} value=${action} onChange=${(e) => setAction(e.currentTarget.value)}>
          <option value="">${t('audit.action.all')}</option>${actions.map((x) => html`<option value=${x}>${x}</option>`)}</select>`}
      <//>
      <${Field} id="audit-from" label=${t('audit.since')}>${(a) => html`<input ...${a} type="date" value=${from} onInput=${(e) => setFrom(e.currentTarget.value)} />`}<//>
      <${Field} id="audit-to" label=${t('audit.until')}>${(a) => html`<input ...${a} type="date" value=${to} onInput=${(e) => setTo(e.currentTarget.value)} />`}<//>
      <div class="actions"><button type="button" class="btn" onClick=${() => { setAction(''); setFrom(''); setTo(''); }}>${t('audit.clear')}</button></div>
    </form>
    <p class="muted" role="status">${t('audit.count', { n: shown.length, total: items.length })}</p>
    ${items.length === 0 ? html`<${Empty}>${t('audit.empty')}<//>` : shown.length === 0 ? html`<${Empty}>${t('audit.nomatch')}<//>` : html`<div class="table-wrap"><table>
      <thead><tr><th scope="col">${t('audit.col.time')}</th><th scope="col">${t('audit.col.action')}</th><th scope="col">${t('audit.col.actor')}</th><th scope="col">${t('audit.col.target')}</th><th scope="col">${t('audit.col.detail')}</th></tr></thead>
      <tbody>${shown.map((e) => html`<tr data-audit=${e.id}>
        <td>${fmtTime(e.time)}</td><td><code>${e.action}</code></td><td class="name"><bdi>${who(e.actor_id)}</bdi></td>
        <td class="name"><bdi>${e.target_id === null ? '—' : names.get(e.target_id) || e.target_id}</bdi></td><td class="name"><bdi>${e.detail === null || e.detail === undefined ? '' : typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail)}</bdi></td>
      </tr>`)}</tbody></table></div>`}
    <${Notice} kind="error">${error}<//>
    <div class="actions load-more">${done ? html`<p class="muted">${t('audit.end')}</p>`
      : html`<button type="button" class="btn" disabled=${busy} onClick=${more}>${t('audit.more')}</button>`}</div>`}`;
}

export const pages = [{ path: 'audit', nav: 'nav.audit', view: Audit, roles: ['customer_admin', 'provider_admin'] }];
