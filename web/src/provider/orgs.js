// SPDX-License-Identifier: Apache-2.0
// quire portal: a provider's organizations: the tree below it (expand and collapse), a child
// organization's record and license (TEN-5: the API's license_exceeded message shows by the
// field it names), delete, and the support actions on a child's admins (unlock, send a reset
// link, add an admin). What a role may change is the API's decision (TEN-3).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { Title, useLoad } from '../reportkit.js';
import { Empty, errorText, Field, fieldError, html, Notice } from '../ui.js';

addMessages({
  en: {
    'nav.orgs': 'Organizations',
    'orgs.title': 'Organizations',
    'orgs.tree': 'The organizations below yours',
    'orgs.expand': 'Show the organizations below {name}',
    'orgs.collapse': 'Hide the organizations below {name}',
    'orgs.edit': 'Edit',
    'orgs.admins': 'Admins',
    'orgs.delete': 'Delete',
    'orgs.delete.confirm': 'Delete “{name}” with its users and groups? This cannot be undone.',
    'orgs.delete.yes': 'Yes, delete',
    'orgs.deleted': '“{name}” was deleted.',
    'orgs.cancel': 'Cancel',
    'orgs.create': 'Create a child organization',
    'orgs.created': '“{name}” was created.',
    'orgs.saved': '“{name}” was saved.',
    'orgs.editing': 'Edit “{name}”',
    'orgs.empty': 'No organizations below yours yet.',
    'orgs.type.customer': 'Customer',
    'orgs.type.provider': 'Provider (dealer)',
    'orgs.f.name': 'Name',
    'orgs.f.slug': 'Sign-in name (slug)',
    'orgs.f.slug.hint': '3 to 63 of a–z, 0–9 and -, used at sign-in; cannot change later.',
    'orgs.f.type': 'Type',
    'orgs.f.license': 'License',
    'orgs.f.unlimited.hint': 'Empty means unlimited.',
    'orgs.f.devices': 'Devices',
    'orgs.f.ocr': 'OCR pages per month',
    'orgs.f.storage': 'Storage (MiB)',
    'orgs.f.users': 'Users',
    'orgs.f.features': 'Features',
    'feature.print': 'Print',
    'feature.scan': 'Scan',
    'feature.federation': 'Federation',
    'feature.connectors': 'Connectors',
    'feature.api_keys': 'API keys',
    'orgs.f.contact': 'Contact',
    'orgs.f.rep_name': 'Representative',
    'orgs.f.rep_email': 'Email',
    'orgs.f.rep_phone': 'Phone',
    'orgs.f.retention': 'Retention (days)',
    'orgs.f.ret_jobs': 'Print jobs',
    'orgs.f.ret_scans': 'Scanned documents',
    'orgs.f.ret_audit': 'Audit log',
    'orgs.f.region': 'Region',
    'orgs.f.region.none': 'No region',
    'orgs.f.region.parent': 'As the parent',
    'orgs.f.admin': 'First admin’s username (optional)',
    'orgs.save': 'Save',
    'orgs.add': 'Create',
    'secret.title': 'Shown once',
    'secret.warn': 'Copy this password now: it is shown only this once. The admin must change it at the first sign-in.',
    'secret.admin': 'Admin {user} of {org}, password:',
    'orgs.secret.copy': 'Copy',
    'orgs.secret.copied': 'Copied.',
    'secret.close': 'I have saved it',
    'admins.title': 'Admins of “{name}”',
    'admins.empty': 'This organization has no admin accounts.',
    'admins.col.username': 'Username',
    'admins.col.email': 'Email',
    'admins.col.state': 'State',
    'admins.locked': 'Locked',
    'admins.active': 'Active',
    'admins.inactive': 'Inactive',
    'admins.unlock.short': 'Unlock',
    'admins.unlocked': '{name} was unlocked.',
    'admins.reset.short': 'Send reset link',
    'admins.resetsent': 'A password-reset link was sent to {name}.',
    'admins.add': 'Add an admin (invited by email)',
    'admins.added': '{name} was invited.',
    'admins.f.username': 'Username',
    'admins.f.email': 'Email',
    'admins.f.first': 'First name',
    'admins.f.last': 'Last name',
    'admins.invite': 'Invite',
    'admins.close': 'Close',
  },
  de: {
    'nav.orgs': 'Organisationen',
    'orgs.title': 'Organisationen',
    'orgs.tree': 'Die Organisationen unter Ihrer',
    'orgs.expand': 'Organisationen unter {name} zeigen',
    'orgs.collapse': 'Organisationen unter {name} ausblenden',
    'orgs.edit': 'Bearbeiten',
    'orgs.admins': 'Admins',
    'orgs.delete': 'Löschen',
    'orgs.delete.confirm': '„{name}“ mit Benutzern und Gruppen löschen? Das lässt sich nicht rückgängig machen.',
    'orgs.delete.yes': 'Ja, löschen',
    'orgs.deleted': '„{name}“ wurde gelöscht.',
    'orgs.cancel': 'Abbrechen',
    'orgs.create': 'Unterorganisation anlegen',
    'orgs.created': '„{name}“ wurde angelegt.',
    'orgs.saved': '„{name}“ wurde gespeichert.',
    'orgs.editing': '„{name}“ bearbeiten',
    'orgs.empty': 'Unter Ihrer Organisation gibt es noch keine.',
    'orgs.type.customer': 'Kunde',
    'orgs.type.provider': 'Anbieter (Händler)',
    'orgs.f.name': 'Name',
    'orgs.f.slug': 'Anmeldename (Slug)',
    'orgs.f.slug.hint': '3 bis 63 Zeichen aus a–z, 0–9 und -, für die Anmeldung; später nicht änderbar.',
    'orgs.f.type': 'Art',
    'orgs.f.license': 'Lizenz',
    'orgs.f.unlimited.hint': 'Leer bedeutet unbegrenzt.',
    'orgs.f.devices': 'Geräte',
    'orgs.f.ocr': 'OCR-Seiten pro Monat',
    'orgs.f.storage': 'Speicher (MiB)',
    'orgs.f.users': 'Benutzer',
    'orgs.f.features': 'Funktionen',
    'feature.print': 'Drucken',
    'feature.scan': 'Scannen',
    'feature.federation': 'Föderation',
    'feature.connectors': 'Konnektoren',
    'feature.api_keys': 'API-Schlüssel',
    'orgs.f.contact': 'Kontakt',
    'orgs.f.rep_name': 'Ansprechperson',
    'orgs.f.rep_email': 'E-Mail',
    'orgs.f.rep_phone': 'Telefon',
    'orgs.f.retention': 'Aufbewahrung (Tage)',
    'orgs.f.ret_jobs': 'Druckaufträge',
    'orgs.f.ret_scans': 'Gescannte Dokumente',
    'orgs.f.ret_audit': 'Audit-Protokoll',
    'orgs.f.region': 'Region',
    'orgs.f.region.none': 'Keine Region',
    'orgs.f.region.parent': 'Wie die übergeordnete',
    'orgs.f.admin': 'Benutzername des ersten Admins (optional)',
    'orgs.save': 'Speichern',
    'orgs.add': 'Anlegen',
    'secret.title': 'Nur einmal angezeigt',
    'secret.warn': 'Kopieren Sie dieses Passwort jetzt: Es wird nur dieses eine Mal angezeigt. Der Admin muss es bei der ersten Anmeldung ändern.',
    'secret.admin': 'Admin {user} von {org}, Passwort:',
    'orgs.secret.copy': 'Kopieren',
    'orgs.secret.copied': 'Kopiert.',
    'secret.close': 'Ich habe es gespeichert',
    'admins.title': 'Admins von „{name}“',
    'admins.empty': 'Diese Organisation hat keine Admin-Konten.',
    'admins.col.username': 'Benutzername',
    'admins.col.email': 'E-Mail',
    'admins.col.state': 'Status',
    'admins.locked': 'Gesperrt',
    'admins.active': 'Aktiv',
    'admins.inactive': 'Inaktiv',
    'admins.unlock.short': 'Entsperren',
    'admins.unlocked': '{name} wurde entsperrt.',
    'admins.reset.short': 'Link zum Zurücksetzen senden',
    'admins.resetsent': '{name} wurde ein Link zum Zurücksetzen des Passworts gesendet.',
    'admins.add': 'Admin hinzufügen (Einladung per E-Mail)',
    'admins.added': '{name} wurde eingeladen.',
    'admins.f.username': 'Benutzername',
    'admins.f.email': 'E-Mail',
    'admins.f.first': 'Vorname',
    'admins.f.last': 'Nachname',
    'admins.invite': 'Einladen',
    'admins.close': 'Schließen',
  },
});

const FEATURES = ['print', 'scan', 'federation', 'connectors', 'api_keys'];
const LIMITS = [
  ['devices', 'orgs.f.devices'],
  ['ocr_pages_per_month', 'orgs.f.ocr'],
  ['storage_mb', 'orgs.f.storage'],
  ['users', 'orgs.f.users'],
];
// Which field an API error concerns: the license messages start with the limit's name
// ("devices: the other children of … hold 6 of 10; asked 1000"); checked before the others,
// whose words could appear in an organization's name inside such a message.
const ORG_FIELDS = {
  devices: [/^\w+ devices:/, /license\.devices/],
  ocr_pages_per_month: [/^\w+ ocr_pages_per_month:/, /ocr_pages_per_month/],
  storage_mb: [/^\w+ storage_mb:/, /storage_mb/],
  users: [/^\w+ users:/, /license\.users/],
  features: [/^\w+ features:/, /features/],
  slug: [/^conflict .*slug|^invalid_\w+ .*slug/],
  name: [/^invalid_\w+ .*name/],
  rep_email: [/representative\.email/],
  rep_phone: [/representative\.phone/],
  rep_name: [/representative\.name/],
  region: [/region/],
  retention: [/retention|_days/],
  admin: [/admin|username/],
};

function numOrNull(s) {
  const v = String(s).trim();
  return v === '' ? null : Number(v);
}

function formOf(org) {
  const l = (org && org.license) || {};
  const r = (org && org.retention) || {};
  const rep = (org && org.representative) || {};
  const str = (v) => (v === null || v === undefined ? '' : String(v));
  return {
    name: org ? org.name : '',
    slug: org ? org.slug : '',
    type: org ? org.type : 'customer',
    devices: org ? str(l.devices) : '0',
    ocr_pages_per_month: org ? str(l.ocr_pages_per_month) : '0',
    storage_mb: org ? str(l.storage_mb) : '',
    users: org ? str(l.users) : '',
    features: org ? l.features || [] : ['print', 'scan'],
    rep_name: rep.name || '',
    rep_email: rep.email || '',
    rep_phone: rep.phone || '',
    ret_jobs: str(r.print_jobs_days ?? 7),
    ret_scans: str(r.scan_documents_days ?? 30),
    ret_audit: str(r.audit_days ?? 365),
    region: org ? (org.region_id ?? 'none') : 'parent',
    admin: '',
  };
}

function bodyOf(f, creating) {
  const b = {
    name: f.name,
    license: {
      devices: numOrNull(f.devices),
      ocr_pages_per_month: numOrNull(f.ocr_pages_per_month),
      storage_mb: numOrNull(f.storage_mb),
      users: numOrNull(f.users),
      features: f.features,
    },
    representative: { name: f.rep_name, email: f.rep_email, phone: f.rep_phone },
    retention: { print_jobs_days: Number(f.ret_jobs), scan_documents_days: Number(f.ret_scans), audit_days: Number(f.ret_audit) },
  };
  if (f.region !== 'parent') b.region_id = f.region === 'none' ? null : f.region;
  if (creating) {
    b.slug = f.slug;
    b.type = f.type;
    if (f.admin.trim()) b.admin = { username: f.admin.trim() };
  }
  return b;
}

/** A generated password, shown once in a dialog with a copy button. */
export function SecretDialog({ label, secret, onClose }) {
  const ref = useRef(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => ref.current && ref.current.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return html`<div class="backdrop"><div class="dialog" role="dialog" aria-modal="true" aria-labelledby="secret-title" aria-describedby="secret-warn">
    <h2 id="secret-title" tabindex="-1" ref=${ref}>${t('secret.title')}</h2>
    <p id="secret-warn" class="notice notice-warn">${t('secret.warn')}</p>
    <p><bdi>${label}</bdi></p>
    <p class="secret"><code data-testid="secret">${secret}</code></p>
    <div class="actions"><button class="btn" onClick=${copy}>${t('orgs.secret.copy')}</button>
      <button class="btn btn-primary" onClick=${onClose}>${t('secret.close')}</button></div>
    ${copied && html`<p role="status">${t('orgs.secret.copied')}</p>`}
  </div></div>`;
}

function OrgForm({ org, regions, onDone, onCancel }) {
  const creating = !org;
  const [f, setF] = useState(formOf(org));
  const [err, setErr] = useState({});
  const p = creating ? 'new-org' : `org-${org.id}`;
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const toggle = (feat) => (e) => setF({ ...f, features: e.currentTarget.checked ? [...f.features, feat] : f.features.filter((x) => x !== feat) });
  const submit = async (e) => {
    e.preventDefault();
    setErr({});
    try {
      await onDone(bodyOf(f, creating));
      if (creating) setF(formOf(null));
    } catch (x) {
      setErr(fieldError(x, ORG_FIELDS));
    }
  };
  const e = (k) => err.field === k && err.text;
  const input = (k, label, { type = 'text', hint, min } = {}) => html`<${Field} id=${`${p}-${k}`} label=${label} hint=${hint} error=${e(k)}>
    ${(a) => html`<input ...${a} type=${type} min=${min} autocomplete="off" value=${f[k]} onInput=${set(k)} />`}<//>`;
  return html`<form onSubmit=${submit} novalidate>
    <div class="form-grid">
      ${input('name', t('orgs.f.name'))}
      ${creating && input('slug', t('orgs.f.slug'), { hint: t('orgs.f.slug.hint') })}
      ${creating && html`<${Field} id=${`${p}-type`} label=${t('orgs.f.type')}>
        ${(a) => html`<select ...${a} value=${f.type} onChange=${set('type')}><option value="customer">${t('orgs.type.customer')}</option><option value="provider">${t('orgs.type.provider')}</option></select>`}<//>`}
      ${regions && html`<${Field} id=${`${p}-region`} label=${t('orgs.f.region')} error=${e('region')}>
        ${(a) => html`<select ...${a} value=${f.region} onChange=${set('region')}>
          ${creating && html`<option value="parent">${t('orgs.f.region.parent')}</option>`}
          <option value="none">${t('orgs.f.region.none')}</option>
          ${regions.map((r) => html`<option value=${r.id}>${r.name}</option>`)}</select>`}<//>`}
      ${creating && input('admin', t('orgs.f.admin'))}
    </div>
    <fieldset class="group"><legend>${t('orgs.f.license')}</legend>
      <p class="hint">${t('orgs.f.unlimited.hint')}</p>
      <div class="form-grid">${LIMITS.map(([k, m]) => input(k, t(m), { type: 'number', min: 0 }))}</div>
      <fieldset class="checks" aria-describedby=${e('features') ? `${p}-features-error` : undefined}><legend>${t('orgs.f.features')}</legend>
        ${FEATURES.map((x) => html`<label><input type="checkbox" checked=${f.features.includes(x)} onChange=${toggle(x)} /> ${t(`feature.${x}`)}</label>`)}
      </fieldset>
      ${e('features') && html`<p class="field-error" id=${`${p}-features-error`}>${e('features')}</p>`}
    </fieldset>
    <fieldset class="group"><legend>${t('orgs.f.contact')}</legend><div class="form-grid">
      ${input('rep_name', t('orgs.f.rep_name'))}${input('rep_email', t('orgs.f.rep_email'), { type: 'email' })}${input('rep_phone', t('orgs.f.rep_phone'), { type: 'tel' })}
    </div></fieldset>
    <fieldset class="group"><legend>${t('orgs.f.retention')}</legend><div class="form-grid">
      ${input('ret_jobs', t('orgs.f.ret_jobs'), { type: 'number', min: 1 })}${input('ret_scans', t('orgs.f.ret_scans'), { type: 'number', min: 1 })}${input('ret_audit', t('orgs.f.ret_audit'), { type: 'number', min: 1 })}
    </div>${e('retention') && html`<p class="field-error">${e('retention')}</p>`}</fieldset>
    <div class="actions"><button class="btn btn-primary" type="submit">${creating ? t('orgs.add') : t('orgs.save')}</button>
      ${onCancel && html`<button class="btn" type="button" onClick=${onCancel}>${t('orgs.cancel')}</button>`}</div>
    ${!err.field && err.text && html`<${Notice} kind="error">${err.text}<//>`}
  </form>`;
}

function Admins({ org, onClose }) {
  const list = useLoad(`/api/v1/orgs/${org.id}/admins`);
  const [msg, setMsg] = useState({});
  const [f, setF] = useState({ username: '', email: '', first_name: '', last_name: '' });
  const [err, setErr] = useState({});
  const act = async (fn, ok) => {
    setMsg({});
    try {
      await fn();
      setMsg({ ok });
      list.reload();
    } catch (x) {
      setMsg({ error: errorText(x) });
    }
  };
  const add = async (e) => {
    e.preventDefault();
    setErr({});
    try {
      const body = Object.fromEntries(Object.entries(f).filter(([, v]) => v.trim() !== ''));
      const a = await api('POST', `/api/v1/orgs/${org.id}/admins`, body);
      setMsg({ ok: t('admins.added', { name: a.username }) });
      setF({ username: '', email: '', first_name: '', last_name: '' });
      list.reload();
    } catch (x) {
      setErr(fieldError(x, { username: [/username/i], email: [/email/i], first_name: [/first/i], last_name: [/last/i] }));
    }
  };
  const input = (k, label, type = 'text') => html`<${Field} id=${`adm-${k}`} label=${label} error=${err.field === k && err.text}>
    ${(a) => html`<input ...${a} type=${type} autocomplete="off" value=${f[k]} onInput=${(e) => setF({ ...f, [k]: e.currentTarget.value })} />`}<//>`;
  return html`<section class="card" aria-labelledby="admins-h">
    <div class="section-head"><h2 id="admins-h"><bdi>${t('admins.title', { name: org.name })}</bdi></h2><button class="btn btn-quiet" onClick=${onClose}>${t('admins.close')}</button></div>
    <${Notice} kind="error">${msg.error}<//><${Notice}>${msg.ok}<//>
    ${list.error ? html`<${Notice} kind="error">${errorText(list.error)}<//>`
      : !list.data ? html`<p class="loading" role="status">${t('app.loading')}</p>`
      : list.data.items.length === 0 ? html`<${Empty}>${t('admins.empty')}<//>`
      : html`<div class="table-wrap"><table><thead><tr><th scope="col">${t('admins.col.username')}</th><th scope="col">${t('admins.col.email')}</th><th scope="col">${t('admins.col.state')}</th><th scope="col"><span class="sr-only">${t('jobs.col.actions')}</span></th></tr></thead>
        <tbody>${list.data.items.map((u) => html`<tr><td><bdi>${u.username}</bdi></td><td><bdi>${u.email}</bdi></td>
          <td>${u.active ? t('admins.active') : t('admins.inactive')}${u.locked ? html` <span class="badge badge-failed">${t('admins.locked')}</span>` : ''}</td>
          <td class="row-actions">
            ${u.locked && html`<button class="btn btn-small" onClick=${() => act(() => api('POST', `/api/v1/users/${u.id}/unlock`), t('admins.unlocked', { name: u.username }))}>${t('admins.unlock.short')}<span class="sr-only"> (<bdi>${u.username}</bdi>)</span></button>`}
            <button class="btn btn-small" onClick=${() => act(() => api('POST', `/api/v1/users/${u.id}/password-reset`), t('admins.resetsent', { name: u.username }))}>${t('admins.reset.short')}<span class="sr-only"> (<bdi>${u.username}</bdi>)</span></button>
          </td></tr>`)}</tbody></table></div>`}
    <h3>${t('admins.add')}</h3>
    <form class="form-grid" onSubmit=${add} novalidate>
      ${input('username', t('admins.f.username'))}${input('email', t('admins.f.email'), 'email')}${input('first_name', t('admins.f.first'))}${input('last_name', t('admins.f.last'))}
      <div class="actions"><button class="btn btn-primary" type="submit">${t('admins.invite')}</button></div>
      ${!err.field && err.text && html`<${Notice} kind="error">${err.text}<//>`}
    </form>
  </section>`;
}

function Node({ org, kids, open, toggle, onEdit, onAdmins, onDelete, ownId, confirming, setConfirming }) {
  const children = kids[org.id] || [];
  const isOpen = open.has(org.id);
  const own = org.id === ownId;
  return html`<li>
    <div class="tree-row">
      ${children.length > 0 ? html`<button class="btn btn-small tree-toggle" aria-expanded=${isOpen ? 'true' : 'false'}
          aria-label=${t(isOpen ? 'orgs.collapse' : 'orgs.expand', { name: org.name })} onClick=${() => toggle(org.id)}>${isOpen ? '▾' : '▸'}</button>`
        : html`<span class="tree-leaf" aria-hidden="true"></span>`}
      <span class="tree-name"><bdi>${org.name}</bdi></span>
      <span class="badge">${t(`orgs.type.${org.type}`)}</span>
      <span class="muted">${org.slug}</span>
      ${!own && html`<span class="row-actions">
        <button class="btn btn-small" onClick=${() => onEdit(org)}>${t('orgs.edit')}<span class="sr-only"> <bdi>${org.name}</bdi></span></button>
        <button class="btn btn-small" onClick=${() => onAdmins(org)}>${t('orgs.admins')}<span class="sr-only"> <bdi>${org.name}</bdi></span></button>
        <button class="btn btn-small btn-danger" onClick=${() => setConfirming(org.id)}>${t('orgs.delete')}<span class="sr-only"> <bdi>${org.name}</bdi></span></button>
      </span>`}
    </div>
    ${confirming === org.id && html`<div class="notice notice-warn confirm" role="alert"><bdi>${t('orgs.delete.confirm', { name: org.name })}</bdi>
      <button class="btn btn-small btn-danger" onClick=${() => onDelete(org)}>${t('orgs.delete.yes')}</button>
      <button class="btn btn-small" onClick=${() => setConfirming(null)}>${t('orgs.cancel')}</button></div>`}
    ${children.length > 0 && isOpen && html`<ul>${children.map((c) => html`<${Node} key=${c.id} org=${c} kids=${kids} open=${open} toggle=${toggle}
      onEdit=${onEdit} onAdmins=${onAdmins} onDelete=${onDelete} ownId=${ownId} confirming=${confirming} setConfirming=${setConfirming} />`)}</ul>`}
  </li>`;
}

function Orgs({ me, headingRef }) {
  const orgs = useLoad('/api/v1/orgs');
  const [regions, setRegions] = useState(null);
  const [open, setOpen] = useState(new Set([me.org_id]));
  const [editing, setEditing] = useState(null);
  const [admins, setAdmins] = useState(null);
  const [confirming, setConfirming] = useState(null);
  const [msg, setMsg] = useState({});
  const [secret, setSecret] = useState(null);
  useEffect(() => {
    // Only the root provider's admins read regions; others leave the field out (the parent's).
    api('GET', '/api/v1/regions').then((r) => setRegions(r.items), () => setRegions(null));
  }, []);
  const items = (orgs.data && orgs.data.items) || [];
  const kids = {};
  for (const o of items) if (o.parent_id) (kids[o.parent_id] ||= []).push(o);
  const own = items.find((o) => o.id === me.org_id);
  const toggle = (id) => {
    const n = new Set(open);
    if (n.has(id)) n.delete(id);
    else n.add(id);
    setOpen(n);
  };
  const create = async (body) => {
    const o = await api('POST', '/api/v1/orgs', { parent_id: me.org_id, ...body });
    setMsg({ ok: t('orgs.created', { name: o.name }) });
    if (o.admin && o.admin.password) setSecret({ label: t('secret.admin', { user: o.admin.username, org: o.name }), value: o.admin.password });
    orgs.reload();
  };
  const save = async (org, body) => {
    await api('PATCH', `/api/v1/orgs/${org.id}`, body);
    setEditing(null);
    setMsg({ ok: t('orgs.saved', { name: body.name }) });
    orgs.reload();
  };
  const remove = async (org) => {
    setConfirming(null);
    setMsg({});
    try {
      await api('DELETE', `/api/v1/orgs/${org.id}`);
      setMsg({ ok: t('orgs.deleted', { name: org.name }) });
      orgs.reload();
    } catch (x) {
      setMsg({ error: errorText(x) });
    }
  };
  return html`<${Title} headingRef=${headingRef}>${t('orgs.title')}<//>
    <${Notice} kind="error">${msg.error}<//><${Notice}>${msg.ok}<//>
    ${orgs.error ? html`<${Notice} kind="error">${errorText(orgs.error)}<//>`
      : !orgs.data ? html`<p class="loading" role="status">${t('app.loading')}</p>`
      : html`<section aria-labelledby="tree-h"><h2 id="tree-h">${t('orgs.tree')}</h2>
        ${!own || !(kids[own.id] || []).length ? html`<${Empty}>${t('orgs.empty')}<//>`
          : html`<ul class="tree">${html`<${Node} org=${own} kids=${kids} open=${open} toggle=${toggle} onEdit=${(o) => { setAdmins(null); setEditing(o); }}
              onAdmins=${(o) => { setEditing(null); setAdmins(o); }} onDelete=${remove} ownId=${me.org_id} confirming=${confirming} setConfirming=${setConfirming} />`}</ul>`}
      </section>`}
    ${editing && html`<section class="card" aria-labelledby="edit-h"><h2 id="edit-h"><bdi>${t('orgs.editing', { name: editing.name })}</bdi></h2>
      <${OrgForm} key=${editing.id} org=${editing} regions=${regions} onDone=${(b) => save(editing, b)} onCancel=${() => setEditing(null)} /></section>`}
    ${admins && html`<${Admins} key=${admins.id} org=${admins} onClose=${() => setAdmins(null)} />`}
    <section class="card" aria-labelledby="create-org-h"><h2 id="create-org-h">${t('orgs.create')}</h2>
      <${OrgForm} regions=${regions} onDone=${create} /></section>
    ${secret && html`<${SecretDialog} label=${secret.label} secret=${secret.value} onClose=${() => setSecret(null)} />`}`;
}

export const pages = [{ path: 'orgs', nav: 'nav.orgs', view: Orgs, roles: ['provider_admin', 'provider_support'] }];
