// SPDX-License-Identifier: Apache-2.0
// quire portal: the customer's reports (REP-1, REP-2): per user, group and device over a
// period with a chart and CSV; the organization's job log with filters, keyset "load more"
// and CSV; a user's own report. Who may read what is the API's decision (TEN-3).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import { addMessages, fmtTime, t } from './i18n.js';
import { BarChart, CsvButton, FigTable, LoadState, PeriodPicker, periodDates, qs, Title, useLoad } from './reportkit.js';
import { Empty, errorText, html, Notice } from './ui.js';

addMessages({
  en: {
    'nav.reports': 'Reports',
    'nav.joblog': 'Job log',
    'nav.myreport': 'My report',
    'reports.title': 'Reports',
    'reports.tabs': 'Report by',
    'reports.tab.users': 'Users',
    'reports.tab.groups': 'Groups',
    'reports.tab.devices': 'Devices',
    'reports.head.users': 'User',
    'reports.head.groups': 'Group',
    'reports.head.devices': 'Device',
    'reports.what.users': 'user',
    'reports.what.groups': 'group',
    'reports.what.devices': 'device',
    'reports.nouser': '(no user: walk-up)',
    'reports.deleted': '(deleted device)',
    'reports.empty': 'Nothing was printed, copied or scanned in this period.',
    'reports.range': '{from} to {to}',
    'joblog.title': 'Job log',
    'joblog.filters': 'Filters',
    'joblog.user': 'User',
    'joblog.device': 'Device',
    'joblog.type': 'Type',
    'joblog.color': 'Colour',
    'joblog.any': 'Any',
    'joblog.apply': 'Show',
    'joblog.more': 'Load more',
    'joblog.empty': 'No entries match.',
    'joblog.count': '{n} entries shown',
    'joblog.col.time': 'Time',
    'joblog.col.user': 'User',
    'joblog.col.device': 'Device',
    'joblog.col.type': 'Type',
    'joblog.col.pages': 'Pages',
    'joblog.col.copies': 'Copies',
    'joblog.col.color': 'Colour',
    'joblog.col.duplex': 'Two-sided',
    'myreport.title': 'My report',
  },
  de: {
    'nav.reports': 'Berichte',
    'nav.joblog': 'Auftragsprotokoll',
    'nav.myreport': 'Mein Bericht',
    'reports.title': 'Berichte',
    'reports.tabs': 'Bericht nach',
    'reports.tab.users': 'Benutzer',
    'reports.tab.groups': 'Gruppen',
    'reports.tab.devices': 'Geräte',
    'reports.head.users': 'Benutzer',
    'reports.head.groups': 'Gruppe',
    'reports.head.devices': 'Gerät',
    'reports.what.users': 'Benutzer',
    'reports.what.groups': 'Gruppe',
    'reports.what.devices': 'Gerät',
    'reports.nouser': '(ohne Benutzer: am Gerät)',
    'reports.deleted': '(gelöschtes Gerät)',
    'reports.empty': 'In diesem Zeitraum wurde nichts gedruckt, kopiert oder gescannt.',
    'reports.range': '{from} bis {to}',
    'joblog.title': 'Auftragsprotokoll',
    'joblog.filters': 'Filter',
    'joblog.user': 'Benutzer',
    'joblog.device': 'Gerät',
    'joblog.type': 'Art',
    'joblog.color': 'Farbe',
    'joblog.any': 'Alle',
    'joblog.apply': 'Anzeigen',
    'joblog.more': 'Mehr laden',
    'joblog.empty': 'Keine passenden Einträge.',
    'joblog.count': '{n} Einträge angezeigt',
    'joblog.col.time': 'Zeit',
    'joblog.col.user': 'Benutzer',
    'joblog.col.device': 'Gerät',
    'joblog.col.type': 'Art',
    'joblog.col.pages': 'Seiten',
    'joblog.col.copies': 'Kopien',
    'joblog.col.color': 'Farbe',
    'joblog.col.duplex': 'Beidseitig',
    'myreport.title': 'Mein Bericht',
  },
});

const TABS = ['users', 'groups', 'devices'];
const rowLabel = {
  users: (r) => r.username ?? t('reports.nouser'),
  groups: (r) => r.name,
  devices: (r) => r.serial ?? t('reports.deleted'),
};

function chartRows(items, label) {
  return items.map((r) => ({ label: label(r), mono: r.print_mono_pages || 0, color: r.print_color_pages || 0 }));
}

/** The report's body: chart, table with totals, CSV. */
function ReportBody({ id, kind, load, csvPath, csvName }) {
  const r = load.data;
  return html`<${LoadState} load=${load} />
    ${r && html`<div class="section-head"><p class="muted">${t('reports.range', { from: r.from, to: r.to })}</p>
        <${CsvButton} path=${csvPath} name=${csvName} /></div>
      ${r.items.length === 0 ? html`<${Empty}>${t('reports.empty')}<//>`
        : html`<${BarChart} id=${`${id}-chart`} what=${t(`reports.what.${kind}`)} rows=${chartRows(r.items, rowLabel[kind])} />
          <${FigTable} caption=${t(`reports.tab.${kind}`)} head=${t(`reports.head.${kind}`)} rows=${r.items} label=${rowLabel[kind]} totals=${r.totals} />`}`}`;
}

function Tabs({ value, onChange }) {
  const refs = useRef({});
  const key = (e) => {
    const i = TABS.indexOf(value);
    const step = { ArrowRight: 1, ArrowLeft: -1, Home: -i, End: TABS.length - 1 - i }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    const next = TABS[(i + step + TABS.length) % TABS.length];
    onChange(next);
    setTimeout(() => refs.current[next] && refs.current[next].focus(), 0);
  };
  return html`<div class="tabs" role="tablist" aria-label=${t('reports.tabs')} onKeyDown=${key}>
    ${TABS.map((k) => html`<button role="tab" id=${`tab-${k}`} ref=${(el) => (refs.current[k] = el)} aria-selected=${value === k ? 'true' : 'false'}
      aria-controls="report-panel" tabindex=${value === k ? '0' : '-1'} class="tab" onClick=${() => onChange(k)}>${t(`reports.tab.${k}`)}</button>`)}
  </div>`;
}

function Reports({ me, headingRef }) {
  const [tab, setTab] = useState('users');
  const [period, setPeriod] = useState({ kind: 'this', from: '', to: '' });
  const p = periodDates(period);
  const base = p && `/api/v1/orgs/${me.org_id}/reports/${tab}?${qs(p)}`;
  const load = useLoad(base);
  return html`<${Title} headingRef=${headingRef}>${t('reports.title')}<//>
    <${PeriodPicker} id="rep" value=${period} onChange=${setPeriod} />
    <${Tabs} value=${tab} onChange=${setTab} />
    <section class="card tab-panel" id="report-panel" role="tabpanel" aria-labelledby=${`tab-${tab}`}>
      ${p && html`<${ReportBody} id="rep" kind=${tab} load=${load} csvPath=${`${base}&format=csv`} csvName=${`report-${tab}-${p.from}-${p.to}.csv`} />`}
    </section>`;
}

function MyReport({ headingRef }) {
  const [period, setPeriod] = useState({ kind: 'this', from: '', to: '' });
  const p = periodDates(period);
  const base = p && `/api/v1/me/report?${qs(p)}`;
  const load = useLoad(base);
  return html`<${Title} headingRef=${headingRef}>${t('myreport.title')}<//>
    <${PeriodPicker} id="my" value=${period} onChange=${setPeriod} />
    <section class="card">
      ${p && html`<${ReportBody} id="my" kind="devices" load=${load} csvPath=${`${base}&format=csv`} csvName=${`my-report-${p.from}-${p.to}.csv`} />`}
    </section>`;
}

/** YYYY-MM-DD (the browser's calendar) -> Unix seconds at the day's start, or its end. */
function epoch(day, end) {
  if (!day) return '';
  const [y, m, d] = day.split('-').map(Number);
  return String(Math.floor(new Date(y, m - 1, end ? d + 1 : d).getTime() / 1000) - (end ? 1 : 0));
}

function JobLog({ me, headingRef }) {
  const [f, setF] = useState({ from: '', to: '', user: '', device: '', type: '', color: '' });
  const [query, setQuery] = useState(qs({}));
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState(null);
  const [users, setUsers] = useState([]);
  const [devices, setDevices] = useState([]);
  const path = `/api/v1/orgs/${me.org_id}/log`;
  const fetchPage = async (q, after) => {
    setBusy(true);
    setErr(null);
    try {
      const r = await api('GET', `${path}?${qs({ ...Object.fromEntries(new URLSearchParams(q)), limit: 50, after })}`);
      setItems((old) => (after ? [...(old || []), ...r.items] : r.items));
      setNext(r.next);
    } catch (e) {
      setErr(e);
      if (!after) setItems(null);
    }
    setBusy(false);
  };
  useEffect(() => {
    fetchPage(query, '');
  }, [query]);
  useEffect(() => {
    api('GET', `/api/v1/orgs/${me.org_id}/users`).then((r) => setUsers(r.items), () => {});
    api('GET', `/api/v1/orgs/${me.org_id}/devices`).then((r) => setDevices(r.items), () => {});
  }, []);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const apply = (e) => {
    e.preventDefault();
    setQuery(qs({ from: epoch(f.from, false), to: epoch(f.to, true), user: f.user, device: f.device, type: f.type, color: f.color }));
  };
  const yn = (b) => (b ? t('yes') : t('no'));
  const sel = (k, label, opts) => html`<div class="field"><label for=${`log-${k}`}>${label}</label>
    <select id=${`log-${k}`} value=${f[k]} onChange=${set(k)}><option value="">${t('joblog.any')}</option>
      ${opts.map(([v, n]) => html`<option value=${v}>${n}</option>`)}</select></div>`;
  return html`<${Title} headingRef=${headingRef}>${t('joblog.title')}<//>
    <section class="card" aria-labelledby="log-filters-h"><h2 id="log-filters-h">${t('joblog.filters')}</h2>
      <form class="form-grid" onSubmit=${apply}>
        <div class="field"><label for="log-from">${t('rk.start')}</label><input id="log-from" type="date" value=${f.from} onInput=${set('from')} /></div>
        <div class="field"><label for="log-to">${t('rk.end')}</label><input id="log-to" type="date" value=${f.to} onInput=${set('to')} /></div>
        ${sel('user', t('joblog.user'), users.map((u) => [u.id, u.username]))}
        ${sel('device', t('joblog.device'), devices.map((d) => [d.id, d.serial]))}
        ${sel('type', t('joblog.type'), ['print', 'copy', 'scan'].map((x) => [x, t(`type.${x}`)]))}
        ${sel('color', t('joblog.color'), [['true', t('yes')], ['false', t('no')]])}
        <div class="actions"><button class="btn btn-primary" type="submit">${t('joblog.apply')}</button>
          <${CsvButton} path=${`${path}?${qs({ ...Object.fromEntries(new URLSearchParams(query)), format: 'csv' })}`} name="job-log.csv" /></div>
      </form>
    </section>
    ${err && html`<${Notice} kind="error">${errorText(err)}<//>`}
    ${items === null ? busy && html`<p class="loading" role="status">${t('app.loading')}</p>`
      : items.length === 0 ? html`<${Empty}>${t('joblog.empty')}<//>`
      : html`<p class="muted" role="status">${t('joblog.count', { n: items.length })}</p>
        <div class="table-wrap"><table><thead><tr><th scope="col">${t('joblog.col.time')}</th><th scope="col">${t('joblog.col.user')}</th><th scope="col">${t('joblog.col.device')}</th><th scope="col">${t('joblog.col.type')}</th>
          <th scope="col" class="num">${t('joblog.col.pages')}</th><th scope="col" class="num">${t('joblog.col.copies')}</th><th scope="col">${t('joblog.col.color')}</th><th scope="col">${t('joblog.col.duplex')}</th></tr></thead>
        <tbody>${items.map((l) => html`<tr><td>${fmtTime(l.time)}</td><td><bdi>${l.username ?? '—'}</bdi></td><td><bdi>${l.device_serial ?? '—'}</bdi></td><td>${t(`type.${l.type}`)}</td>
          <td class="num">${l.pages}</td><td class="num">${l.copies}</td><td>${yn(l.color)}</td><td>${yn(l.duplex)}</td></tr>`)}</tbody></table></div>
        ${next && html`<p><button class="btn" disabled=${busy} onClick=${() => fetchPage(query, next)}>${t('joblog.more')}</button></p>`}`}`;
}


export const pages = [
  { path: 'reports', nav: 'nav.reports', view: Reports, roles: ['customer_admin'] },
  { path: 'joblog', nav: 'nav.joblog', view: JobLog, roles: ['customer_admin'] },
  { path: 'myreport', nav: 'nav.myreport', view: MyReport, roles: ['customer_user', 'print_manager', 'guest_user'] },
];
