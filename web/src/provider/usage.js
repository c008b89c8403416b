// SPDX-License-Identifier: Apache-2.0
// quire portal: a provider's figures (REP-3, TEN-4): the month's usage per direct child with
// the subtree sums (deeper organizations counted, never named), the subscription status, and
// the customers' devices.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { addMessages, fmtTime, t } from '../i18n.js';
import { BarChart, CsvButton, FigTable, LoadState, MonthPicker, Title, thisMonth, useLoad } from '../reportkit.js';
import { Empty, errorText, html, Notice } from '../ui.js';

addMessages({
  en: {
    'nav.usage': 'Usage',
    'nav.subscriptions': 'Subscriptions',
    'nav.cdevices': 'Customers’ devices',
    'usage.title': 'Usage by organization',
    'usage.own': 'Your organization',
    'usage.subtree': 'Everything below you, summed',
    'usage.children': 'Per direct child (own and with everything below it)',
    'usage.child': 'Organization',
    'usage.what': 'organization (with everything below it)',
    'usage.below': 'Orgs below',
    'usage.own.print': 'Own printed pages',
    'usage.empty': 'No organizations below yours.',
    'usage.f.print': 'Printed pages',
    'usage.f.copy': 'Copied pages',
    'usage.f.scan': 'Scanned pages',
    'usage.f.users': 'Active users',
    'usage.f.devices': 'Active devices',
    'usage.late': '{entries} late entries ({pages} pages) of {month} were booked this month.',
    'subs.title': 'Subscription status',
    'subs.col.type': 'Type',
    'subs.col.lic_devices': 'Licensed devices',
    'subs.col.lic_users': 'Licensed users',
    'subs.col.devices': 'Devices',
    'subs.col.users': 'Users',
    'subs.col.features': 'Features',
    'subs.col.subtree_devices': 'Devices below',
    'subs.unlimited': 'unlimited',
    'subs.empty': 'No organizations below yours.',
    'cdev.title': 'Customers’ devices',
    'cdev.org': 'Organization',
    'cdev.pick': 'Choose an organization',
    'cdev.empty': 'This organization has no devices.',
    'cdev.col.serial': 'Serial',
    'cdev.col.model': 'Model',
    'cdev.col.host': 'Host name',
    'cdev.col.state': 'State',
    'cdev.col.created': 'Registered',
    'cdev.enabled': 'Enabled',
    'cdev.disabled': 'Disabled',
  },
  de: {
    'nav.usage': 'Nutzung',
    'nav.subscriptions': 'Abonnements',
    'nav.cdevices': 'Geräte der Kunden',
    'usage.title': 'Nutzung nach Organisation',
    'usage.own': 'Ihre Organisation',
    'usage.subtree': 'Alles unter Ihnen, summiert',
    'usage.children': 'Je direkter Unterorganisation (eigene und mit allem darunter)',
    'usage.child': 'Organisation',
    'usage.what': 'Organisation (mit allem darunter)',
    'usage.below': 'Orgs darunter',
    'usage.own.print': 'Eigene gedruckte Seiten',
    'usage.empty': 'Unter Ihrer Organisation gibt es keine.',
    'usage.f.print': 'Gedruckte Seiten',
    'usage.f.copy': 'Kopierte Seiten',
    'usage.f.scan': 'Gescannte Seiten',
    'usage.f.users': 'Aktive Benutzer',
    'usage.f.devices': 'Aktive Geräte',
    'usage.late': '{entries} verspätete Einträge ({pages} Seiten) aus {month} wurden diesen Monat gebucht.',
    'subs.title': 'Abonnementstatus',
    'subs.col.type': 'Art',
    'subs.col.lic_devices': 'Lizenzierte Geräte',
    'subs.col.lic_users': 'Lizenzierte Benutzer',
    'subs.col.devices': 'Geräte',
    'subs.col.users': 'Benutzer',
    'subs.col.features': 'Funktionen',
    'subs.col.subtree_devices': 'Geräte darunter',
    'subs.unlimited': 'unbegrenzt',
    'subs.empty': 'Unter Ihrer Organisation gibt es keine.',
    'cdev.title': 'Geräte der Kunden',
    'cdev.org': 'Organisation',
    'cdev.pick': 'Organisation wählen',
    'cdev.empty': 'Diese Organisation hat keine Geräte.',
    'cdev.col.serial': 'Seriennummer',
    'cdev.col.model': 'Modell',
    'cdev.col.host': 'Hostname',
    'cdev.col.state': 'Status',
    'cdev.col.created': 'Registriert',
    'cdev.enabled': 'Aktiviert',
    'cdev.disabled': 'Deaktiviert',
  },
});

function Facts({ id, title, f }) {
  return html`<section class="card" aria-labelledby=${id}><h2 id=${id}>${title}</h2>
    <dl class="facts">
      <dt>${t('usage.f.print')}</dt><dd>${f.print_pages ?? 0}</dd>
      <dt>${t('rk.col.mono')} / ${t('rk.col.color')}</dt><dd>${f.print_mono_pages ?? 0} / ${f.print_color_pages ?? 0}</dd>
      <dt>${t('usage.f.copy')}</dt><dd>${f.copy_pages ?? 0}</dd>
      <dt>${t('usage.f.scan')}</dt><dd>${f.scan_pages ?? 0}</dd>
      <dt>${t('usage.f.users')}</dt><dd>${f.active_users ?? 0}</dd>
      <dt>${t('usage.f.devices')}</dt><dd>${f.active_devices ?? 0}</dd>
    </dl></section>`;
}

function Usage({ me, headingRef }) {
  const [month, setMonth] = useState(thisMonth());
  const path = `/api/v1/orgs/${me.org_id}/usage?month=${month}`;
  const load = useLoad(path);
  const u = load.data;
  const kids = (u && u.children) || [];
  return html`<${Title} headingRef=${headingRef}>${t('usage.title')}<//>
    <div class="section-head"><${MonthPicker} id="usage-month" value=${month} onChange=${setMonth} />
      <${CsvButton} path=${`${path}&format=csv`} name=${`usage-${month}.csv`} /></div>
    <${LoadState} load=${load} />
    ${u && html`${(u.late || []).map((l) => html`<p class="notice notice-warn">${t('usage.late', l)}</p>`)}
      <div class="cards"><${Facts} id="own-h" title=${t('usage.own')} f=${u.own || {}} /><${Facts} id="sub-h" title=${t('usage.subtree')} f=${u.subtree || {}} /></div>
      <section aria-labelledby="kids-h"><h2 id="kids-h">${t('usage.children')}</h2>
        ${kids.length === 0 ? html`<${Empty}>${t('usage.empty')}<//>`
          : html`<${BarChart} id="usage-chart" what=${t('usage.what')} rows=${kids.map((c) => ({ label: c.name, mono: c.subtree.print_mono_pages || 0, color: c.subtree.print_color_pages || 0 }))} />
            <${FigTable} caption=${t('usage.children')} head=${t('usage.child')} rows=${kids.map((c) => ({ ...c.subtree, name: c.name, type: c.type, orgs_below: c.orgs_below, own_print: c.own.print_pages }))}
              label=${(r) => r.name} totals=${u.subtree}
              extra=${[[(r) => t(`orgs.type.${r.type}`), t('subs.col.type'), false], [(r) => r.orgs_below, t('usage.below'), true], [(r) => r.own_print, t('usage.own.print'), true]]} />`}
      </section>`}`;
}

function Subscriptions({ me, headingRef }) {
  const [month, setMonth] = useState(thisMonth());
  const path = `/api/v1/orgs/${me.org_id}/subscriptions?month=${month}`;
  const load = useLoad(path);
  const s = load.data;
  const lim = (v) => (v === null || v === undefined ? t('subs.unlimited') : v);
  return html`<${Title} headingRef=${headingRef}>${t('subs.title')}<//>
    <div class="section-head"><${MonthPicker} id="subs-month" value=${month} onChange=${setMonth} />
      <${CsvButton} path=${`${path}&format=csv`} name=${`subscriptions-${month}.csv`} /></div>
    <${LoadState} load=${load} />
    ${s && (s.items.length === 0 ? html`<${Empty}>${t('subs.empty')}<//>`
      : html`<${FigTable} caption=${t('subs.title')} head=${t('usage.child')} rows=${s.items.map((c) => ({ ...c.subtree, c }))} label=${(r) => r.c.name}
          totals=${s.totals && s.totals.subtree}
          extra=${[
            [(r) => t(`orgs.type.${r.c.type}`), t('subs.col.type'), false],
            [(r) => r.c.orgs_below, t('usage.below'), true],
            [(r) => lim(r.c.license && r.c.license.devices), t('subs.col.lic_devices'), false],
            [(r) => r.c.devices, t('subs.col.devices'), true],
            [(r) => lim(r.c.license && r.c.license.users), t('subs.col.lic_users'), false],
            [(r) => r.c.users, t('subs.col.users'), true],
            [(r) => ((r.c.license && r.c.license.features) || []).map((x) => t(`feature.${x}`)).join(', '), t('subs.col.features'), false],
            [(r) => r.devices ?? 0, t('subs.col.subtree_devices'), true],
          ]} />`)}`;
}

function CustomerDevices({ me, headingRef }) {
  const [orgs, setOrgs] = useState(null);
  const [err, setErr] = useState(null);
  const [pick, setPick] = useState('');
  useEffect(() => {
    api('GET', '/api/v1/orgs').then(
      (r) => {
        const kids = r.items.filter((o) => o.parent_id === me.org_id);
        setOrgs(kids);
        if (kids.length) setPick(kids[0].id);
      },
      (e) => setErr(e),
    );
  }, []);
  const load = useLoad(pick ? `/api/v1/orgs/${pick}/devices` : null);
  return html`<${Title} headingRef=${headingRef}>${t('cdev.title')}<//>
    ${err && html`<${Notice} kind="error">${errorText(err)}<//>`}
    ${orgs && (orgs.length === 0 ? html`<${Empty}>${t('usage.empty')}<//>`
      : html`<div class="field"><label for="cdev-org">${t('cdev.org')}</label>
        <select id="cdev-org" value=${pick} onChange=${(e) => setPick(e.currentTarget.value)}>${orgs.map((o) => html`<option value=${o.id}>${o.name}</option>`)}</select></div>`)}
    <${LoadState} load=${load} />
    ${load.data && (load.data.items.length === 0 ? html`<${Empty}>${t('cdev.empty')}<//>`
      : html`<div class="table-wrap"><table><thead><tr><th scope="col">${t('cdev.col.serial')}</th><th scope="col">${t('cdev.col.model')}</th><th scope="col">${t('cdev.col.host')}</th><th scope="col">${t('cdev.col.state')}</th><th scope="col">${t('cdev.col.created')}</th></tr></thead>
        <tbody>${load.data.items.map((d) => html`<tr><td><bdi>${d.serial}</bdi></td><td><bdi>${d.model}</bdi></td><td><bdi>${d.hostname}</bdi></td>
          <td>${d.enabled ? t('cdev.enabled') : t('cdev.disabled')}</td><td>${fmtTime(d.created_at)}</td></tr>`)}</tbody></table></div>`)}`;
}

export const pages = [
  { path: 'usage', nav: 'nav.usage', view: Usage, roles: ['provider_admin', 'provider_support'] },
  { path: 'cdevices', nav: 'nav.cdevices', view: CustomerDevices, roles: ['provider_admin', 'provider_support'] },
  { path: 'subscriptions', nav: 'nav.subscriptions', view: Subscriptions, roles: ['provider_admin', 'provider_support'] },
];
