// SPDX-License-Identifier: Apache-2.0
// quire portal, the customer admin's pages: print policies and quotas (the print manager's
// page too, quotas only) and the sign-in settings (email MFA, PIN mode and lengths).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { Loading, Title, useApi, useOutcome } from '../pages.js';
import { Empty, errorText, Field, html, Notice } from '../ui.js';

addMessages({
  en: {
    'nav.policies': 'Print policies and quotas',
    'nav.quotas': 'Quotas',
    'policies.title': 'Print policies and quotas',
    'quotas.title': 'Print quotas',
    'policies.policy': 'Print policies',
    'policies.policy.hint': 'Applied whenever a job is released at a printer.',
    'policies.mono': 'Always print in black and white',
    'policies.duplex': 'Always print two-sided',
    'policies.maxpages': 'Most pages per job (pages × copies; 0 = no limit)',
    'policies.save': 'Save print policies',
    'policies.saved': 'Print policies saved.',
    'quotas.month': 'Monthly quotas ({month})',
    'quotas.hint': 'Pages a user may print per calendar month. Leave the field empty for no limit.',
    'quotas.empty': 'No users.',
    'quotas.col.user': 'User',
    'quotas.col.used': 'Used',
    'quotas.col.quota': 'Quota',
    'quotas.col.remaining': 'Remaining',
    'quotas.of': 'Monthly quota of {name}',
    'quotas.set': 'Save',
    'quotas.set.of': 'Save the quota of {name}',
    'quotas.saved': 'Quota of {name} saved: {n} pages a month.',
    'quotas.removed': '{name} has no quota now (no limit).',
    'quotas.nolimit': 'no limit',
    'nav.signin': 'Sign-in settings',
    'signin.title': 'Sign-in settings',
    'signin.mfa': 'Email code at sign-in',
    'signin.mfa.switch': 'Ask for a code sent by email after the password (users without an email address can then no longer sign in)',
    'signin.pin': 'PIN at the printers',
    'signin.pinmode': 'PIN mode',
    'signin.pinmode.user_pin': 'Username and PIN (users may choose their PIN)',
    'signin.pinmode.pin_only': 'PIN only (PINs are generated and unique)',
    'signin.lengths': 'Allowed PIN lengths',
    'signin.length': '{n} digits',
    'signin.save': 'Save sign-in settings',
    'signin.saved': 'Sign-in settings saved.',
  },
  de: {
    'nav.policies': 'Druckregeln und Kontingente',
    'nav.quotas': 'Kontingente',
    'policies.title': 'Druckregeln und Kontingente',
    'quotas.title': 'Druckkontingente',
    'policies.policy': 'Druckregeln',
    'policies.policy.hint': 'Gelten bei jeder Freigabe eines Auftrags am Drucker.',
    'policies.mono': 'Immer schwarz-weiß drucken',
    'policies.duplex': 'Immer beidseitig drucken',
    'policies.maxpages': 'Höchstens Seiten pro Auftrag (Seiten × Kopien; 0 = keine Grenze)',
    'policies.save': 'Druckregeln speichern',
    'policies.saved': 'Druckregeln gespeichert.',
    'quotas.month': 'Monatskontingente ({month})',
    'quotas.hint': 'Seiten, die ein Benutzer pro Kalendermonat drucken darf. Leer lassen für keine Grenze.',
    'quotas.empty': 'Keine Benutzer.',
    'quotas.col.user': 'Benutzer',
    'quotas.col.used': 'Verbraucht',
    'quotas.col.quota': 'Kontingent',
    'quotas.col.remaining': 'Verbleibend',
    'quotas.of': 'Monatskontingent von {name}',
    'quotas.set': 'Speichern',
    'quotas.set.of': 'Kontingent von {name} speichern',
    'quotas.saved': 'Kontingent von {name} gespeichert: {n} Seiten im Monat.',
    'quotas.removed': '{name} hat jetzt kein Kontingent (keine Grenze).',
    'quotas.nolimit': 'keine Grenze',
    'nav.signin': 'Anmeldung',
    'signin.title': 'Einstellungen zur Anmeldung',
    'signin.mfa': 'Code per E-Mail bei der Anmeldung',
    'signin.mfa.switch': 'Nach dem Passwort einen per E-Mail gesendeten Code verlangen (Benutzer ohne E-Mail-Adresse können sich dann nicht mehr anmelden)',
    'signin.pin': 'PIN an den Druckern',
    'signin.pinmode': 'PIN-Modus',
    'signin.pinmode.user_pin': 'Benutzername und PIN (Benutzer dürfen ihre PIN wählen)',
    'signin.pinmode.pin_only': 'Nur PIN (PINs werden erzeugt und sind eindeutig)',
    'signin.lengths': 'Erlaubte PIN-Längen',
    'signin.length': '{n} Ziffern',
    'signin.save': 'Anmeldeeinstellungen speichern',
    'signin.saved': 'Anmeldeeinstellungen gespeichert.',
  },
});

function PolicyForm({ org, onSaved }) {
  const p = org.print_policy;
  const [mono, setMono] = useState(p.force_mono);
  const [duplex, setDuplex] = useState(p.force_duplex);
  const [max, setMax] = useState(String(p.max_pages_per_job));
  const { err, news, run } = useOutcome();
  const submit = (e) => {
    e.preventDefault();
    run(
      async () => {
        const n = Number(max);
        const body = { force_mono: mono, force_duplex: duplex, max_pages_per_job: max.trim() !== '' && Number.isInteger(n) ? n : max };
        onSaved(await api('PATCH', `/api/v1/orgs/${org.id}`, { print_policy: body }));
        return t('policies.saved');
      },
      { max: [/max_pages_per_job/] },
    );
  };
  return html`<section class="card" aria-labelledby="policy-h"><h2 id="policy-h">${t('policies.policy')}</h2>
    <p class="muted">${t('policies.policy.hint')}</p>
    <form onSubmit=${submit} novalidate>
      <div class="checks checks-stacked">
        <label><input type="checkbox" checked=${mono} onChange=${(e) => setMono(e.currentTarget.checked)} /> ${t('policies.mono')}</label>
        <label><input type="checkbox" checked=${duplex} onChange=${(e) => setDuplex(e.currentTarget.checked)} /> ${t('policies.duplex')}</label>
      </div>
      <${Field} id="policy-max" label=${t('policies.maxpages')} error=${err.field === 'max' && err.text}>
        ${(a) => html`<input ...${a} type="number" min="0" max="1000000" inputmode="numeric" value=${max} onInput=${(e) => setMax(e.currentTarget.value)} />`}
      <//>
      <button class="btn btn-primary" type="submit">${t('policies.save')}</button>
    </form>
    ${!err.field && err.text && html`<${Notice} kind="error">${err.text}<//>`}<${Notice}>${news}<//>
  </section>`;
}

function QuotaRow({ q, onSaved }) {
  const [v, setV] = useState(q.monthly_pages === null ? '' : String(q.monthly_pages));
  const [err, setErr] = useState('');
  useEffect(() => setV(q.monthly_pages === null ? '' : String(q.monthly_pages)), [q.monthly_pages]);
  const id = `quota-${q.user_id}`;
  const save = async (e) => {
    e.preventDefault();
    setErr('');
    const n = Number(v);
    const monthly = v.trim() === '' ? null : Number.isInteger(n) ? n : v;
    try {
      await api('PUT', `/api/v1/users/${q.user_id}/quota`, { monthly_pages: monthly });
      await onSaved(monthly === null ? t('quotas.removed', { name: q.username }) : t('quotas.saved', { name: q.username, n: monthly }));
    } catch (x) {
      setErr(errorText(x));
    }
  };
  return html`<tr data-user=${q.user_id}>
    <td class="name"><bdi>${q.username}</bdi></td>
    <td class="num">${q.used}</td>
    <td class="num">${q.remaining === null ? html`<span class="muted">${t('quotas.nolimit')}</span>` : q.remaining}</td>
    <td><form class="quota-form" onSubmit=${save} novalidate>
      <label class="sr-only" for=${id}>${t('quotas.of', { name: q.username })}</label>
      <input id=${id} type="number" min="0" max="10000000" inputmode="numeric" placeholder=${t('quotas.nolimit')} value=${v}
        aria-invalid=${err ? 'true' : undefined} aria-describedby=${err ? `${id}-error` : undefined} onInput=${(e) => setV(e.currentTarget.value)} />
      <button class="btn btn-small" type="submit" aria-label=${t('quotas.set.of', { name: q.username })}>${t('quotas.set')}</button>
      ${err && html`<p class="field-error" id=${`${id}-error`}>${err}</p>`}
    </form></td>
  </tr>`;
}

function Policies({ me, headingRef }) {
  const manager = me.role === 'print_manager';
  const org = useApi(`/api/v1/orgs/${me.org_id}`);
  const quotas = useApi(`/api/v1/orgs/${me.org_id}/quotas`);
  const [orgData, setOrgData] = useState(null);
  const [news, setNews] = useState('');
  const o = orgData || org.data;
  const saved = async (m) => {
    await quotas.reload();
    setNews(m);
  };
  return html`<${Title} headingRef=${headingRef}>${manager ? t('quotas.title') : t('policies.title')}<//>
    ${!manager && (o ? html`<${PolicyForm} org=${o} onSaved=${setOrgData} />` : html`<${Loading} error=${org.error} />`)}
    <section aria-labelledby="quotas-h">
      ${!quotas.data ? html`<${Loading} error=${quotas.error} />` : html`
        <h2 id="quotas-h">${t('quotas.month', { month: quotas.data.month })}</h2>
        <p class="muted">${t('quotas.hint')}</p>
        <${Notice}>${news}<//>
        ${quotas.data.items.length === 0 ? html`<${Empty}>${t('quotas.empty')}<//>` : html`<div class="table-wrap"><table>
          <thead><tr><th scope="col">${t('quotas.col.user')}</th><th scope="col" class="num">${t('quotas.col.used')}</th><th scope="col" class="num">${t('quotas.col.remaining')}</th><th scope="col">${t('quotas.col.quota')}</th></tr></thead>
          <tbody>${quotas.data.items.map((q) => html`<${QuotaRow} key=${q.user_id} q=${q} onSaved=${saved} />`)}</tbody></table></div>`}`}
    </section>`;
}

const LENGTHS = [4, 5, 6, 8];

function SigninForm({ org, onSaved }) {
  const [mfa, setMfa] = useState(org.mfa_email);
  const [mode, setMode] = useState(org.pin_mode);
  const [lengths, setLengths] = useState([...new Set(org.pin_lengths)]);
  const { err, news, run } = useOutcome();
  const toggle = (n, on) => setLengths(on ? [...lengths, n].sort((a, b) => a - b) : lengths.filter((x) => x !== n));
  const submit = (e) => {
    e.preventDefault();
    run(
      async () => {
        onSaved(await api('PATCH', `/api/v1/orgs/${org.id}`, { mfa_email: mfa, pin_mode: mode, pin_lengths: lengths }));
        return t('signin.saved');
      },
      { mfa: [/mfa_email|smtp_url/], mode: [/pin_mode/], lengths: [/pin_lengths/] },
    );
  };
  const fieldErr = (k) => err.field === k && html`<p class="field-error" id=${`signin-${k}-error`}>${err.text}</p>`;
  return html`<form onSubmit=${submit} novalidate>
    <fieldset class="card" aria-describedby=${err.field === 'mfa' ? 'signin-mfa-error' : undefined}>
      <legend>${t('signin.mfa')}</legend>
      <div class="checks"><label><input type="checkbox" checked=${mfa} onChange=${(e) => setMfa(e.currentTarget.checked)} /> ${t('signin.mfa.switch')}</label></div>
      ${fieldErr('mfa')}
    </fieldset>
    <fieldset class="card">
      <legend>${t('signin.pin')}</legend>
      <fieldset class="radios" aria-describedby=${err.field === 'mode' ? 'signin-mode-error' : undefined}>
        <legend>${t('signin.pinmode')}</legend>
        ${['user_pin', 'pin_only'].map((m) => html`<label><input type="radio" name="pin_mode" value=${m} checked=${mode === m} onChange=${() => setMode(m)} /> ${t(`signin.pinmode.${m}`)}</label>`)}
        ${fieldErr('mode')}
      </fieldset>
      <fieldset class="radios" aria-describedby=${err.field === 'lengths' ? 'signin-lengths-error' : undefined}>
        <legend>${t('signin.lengths')}</legend>
        <div class="checks">${LENGTHS.map((n) => html`<label><input type="checkbox" checked=${lengths.includes(n)} onChange=${(e) => toggle(n, e.currentTarget.checked)} /> ${t('signin.length', { n })}</label>`)}</div>
        ${fieldErr('lengths')}
      </fieldset>
    </fieldset>
    <button class="btn btn-primary" type="submit">${t('signin.save')}</button>
    ${!err.field && err.text && html`<${Notice} kind="error">${err.text}<//>`}<${Notice}>${news}<//>
  </form>`;
}

function Signin({ me, headingRef }) {
  const org = useApi(`/api/v1/orgs/${me.org_id}`);
  const [saved, setSaved] = useState(null);
  const o = saved || org.data;
  return html`<${Title} headingRef=${headingRef}>${t('signin.title')}<//>
    ${o ? html`<${SigninForm} org=${o} onSaved=${setSaved} />` : html`<${Loading} error=${org.error} />`}`;
}

export const pages = [
  { path: 'policies', nav: 'nav.policies', view: Policies, roles: ['customer_admin', 'provider_admin', 'print_manager'] },
  { path: 'signin-settings', nav: 'nav.signin', view: Signin, roles: ['customer_admin', 'provider_admin'] },
];
