// SPDX-License-Identifier: Apache-2.0
// quire portal, the customer admin's pages: users (create, invite, edit, deactivate, unlock,
// password reset, a new PIN, their cards and groups).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { addMessages, fmtTime, t } from '../i18n.js';
import { Loading, Title, useApi } from '../pages.js';
import { Empty, errorText, Field, fieldError, html, Notice } from '../ui.js';
import { ConfirmButton, missingRoute, SecretDialog } from './common.js';

addMessages({
  en: {
    'nav.users': 'Users',
    'users.title': 'Users of {org}',
    'users.create': 'Create a user',
    'users.username': 'Username',
    'users.first': 'First name',
    'users.last': 'Last name',
    'users.email': 'Email',
    'users.role': 'Role',
    'users.password': 'Password (optional: left empty, one is generated)',
    'users.invite': 'Invite by email (the person chooses a password through the link in the mail)',
    'users.add': 'Create user',
    'users.created': 'User {name} created.',
    'users.invited': 'User {name} was invited; the mail went to {email}.',
    'users.onetime': 'One-time password for {name}',
    'users.onetime.label': 'One-time password',
    'users.empty': 'No users.',
    'users.nomatch': 'No user matches “{q}”.',
    'users.search': 'Search users',
    'users.search.hint': 'By username, name or email.',
    'users.range': 'Users {from}–{to}',
    'users.range.more': 'Users {from}–{to}; more on the next page',
    'users.prev': 'Previous page',
    'users.next': 'Next page',
    'users.col.username': 'Username',
    'users.col.name': 'Name',
    'users.col.email': 'Email',
    'users.col.role': 'Role',
    'users.col.state': 'State',
    'users.col.actions': 'Actions',
    'users.active': 'Active',
    'users.inactive': 'Inactive',
    'users.locked': 'Locked',
    'users.manage': 'Manage {name}',
    'users.manage.title': 'Manage {name}',
    'users.manage.short': 'Manage',
    'users.edit': 'Details',
    'users.save': 'Save',
    'users.cancel': 'Cancel',
    'users.close': 'Close',
    'users.saved': 'User {name} saved.',
    'users.actions': 'Account',
    'users.deactivate': 'Deactivate {name}',
    'users.activate': 'Activate {name}',
    'users.deactivated': 'User {name} deactivated.',
    'users.activated': 'User {name} activated.',
    'users.unlock': 'Unlock {name}',
    'users.unlocked': 'User {name} unlocked.',
    'users.reset': 'Send a password-reset link',
    'users.reset.sent': 'A password-reset link is on its way to {email} (at most one a minute).',
    'users.reset.noemail': 'A reset link needs an email address: add one under Details.',
    'users.pin': 'Generate a new PIN',
    'users.pin.emailed': 'A new PIN for {name} was generated and emailed to them; you never see it.',
    'users.pin.nextsignin': 'A new PIN for {name} was generated; they will see it once at their next sign-in (you never see it).',
    'users.pin.has': 'Has a PIN',
    'users.pin.none': 'No PIN',
    'users.cards': 'ID cards',
    'users.cards.empty': 'No ID cards.',
    'users.cards.delete': 'Delete card {number}',
    'users.cards.deleted': 'Card {number} deleted.',
    'users.cards.col.number': 'Card',
    'users.cards.col.added': 'Added',
    'users.groups': 'Groups',
    'users.groups.none': 'The organization has no groups yet (see Groups).',
    'users.groups.added': '{name} is now a member of {group}.',
    'users.groups.removed': '{name} left {group}.',
    'users.delete': 'Delete user',
    'users.delete.action': 'delete {name}',
    'users.deleted': 'User {name} deleted.',
  },
  de: {
    'nav.users': 'Benutzer',
    'users.title': 'Benutzer von {org}',
    'users.create': 'Benutzer anlegen',
    'users.username': 'Benutzername',
    'users.first': 'Vorname',
    'users.last': 'Nachname',
    'users.email': 'E-Mail',
    'users.role': 'Rolle',
    'users.password': 'Passwort (optional: leer wird eines erzeugt)',
    'users.invite': 'Per E-Mail einladen (die Person wählt ihr Passwort über den Link in der Mail)',
    'users.add': 'Benutzer anlegen',
    'users.created': 'Benutzer {name} angelegt.',
    'users.invited': 'Benutzer {name} wurde eingeladen; die Mail ging an {email}.',
    'users.onetime': 'Einmalpasswort für {name}',
    'users.onetime.label': 'Einmalpasswort',
    'users.empty': 'Keine Benutzer.',
    'users.nomatch': 'Kein Benutzer passt zu „{q}“.',
    'users.search': 'Benutzer suchen',
    'users.search.hint': 'Nach Benutzername, Name oder E-Mail.',
    'users.range': 'Benutzer {from}–{to}',
    'users.range.more': 'Benutzer {from}–{to}; weitere auf der nächsten Seite',
    'users.prev': 'Vorherige Seite',
    'users.next': 'Nächste Seite',
    'users.col.username': 'Benutzername',
    'users.col.name': 'Name',
    'users.col.email': 'E-Mail',
    'users.col.role': 'Rolle',
    'users.col.state': 'Zustand',
    'users.col.actions': 'Aktionen',
    'users.active': 'Aktiv',
    'users.inactive': 'Inaktiv',
    'users.locked': 'Gesperrt',
    'users.manage': '{name} verwalten',
    'users.manage.title': '{name} verwalten',
    'users.manage.short': 'Verwalten',
    'users.edit': 'Angaben',
    'users.save': 'Speichern',
    'users.cancel': 'Abbrechen',
    'users.close': 'Schließen',
    'users.saved': 'Benutzer {name} gespeichert.',
    'users.actions': 'Konto',
    'users.deactivate': '{name} deaktivieren',
    'users.activate': '{name} aktivieren',
    'users.deactivated': 'Benutzer {name} deaktiviert.',
    'users.activated': 'Benutzer {name} aktiviert.',
    'users.unlock': '{name} entsperren',
    'users.unlocked': 'Benutzer {name} entsperrt.',
    'users.reset': 'Link zum Zurücksetzen des Passworts senden',
    'users.reset.sent': 'Ein Link zum Zurücksetzen des Passworts geht an {email} (höchstens einer pro Minute).',
    'users.reset.noemail': 'Ein Link braucht eine E-Mail-Adresse: Tragen Sie unter Angaben eine ein.',
    'users.pin': 'Neue PIN erzeugen',
    'users.pin.emailed': 'Eine neue PIN für {name} wurde erzeugt und per E-Mail an die Person geschickt; Sie sehen sie nie.',
    'users.pin.nextsignin': 'Eine neue PIN für {name} wurde erzeugt; die Person sieht sie einmal bei der nächsten Anmeldung (Sie sehen sie nie).',
    'users.pin.has': 'Hat eine PIN',
    'users.pin.none': 'Keine PIN',
    'users.cards': 'Ausweiskarten',
    'users.cards.empty': 'Keine Ausweiskarten.',
    'users.cards.delete': 'Karte {number} löschen',
    'users.cards.deleted': 'Karte {number} gelöscht.',
    'users.cards.col.number': 'Karte',
    'users.cards.col.added': 'Hinzugefügt',
    'users.groups': 'Gruppen',
    'users.groups.none': 'Die Organisation hat noch keine Gruppen (siehe Gruppen).',
    'users.groups.added': '{name} ist jetzt Mitglied von {group}.',
    'users.groups.removed': '{name} ist nicht mehr Mitglied von {group}.',
    'users.delete': 'Benutzer löschen',
    'users.delete.action': '{name} löschen',
    'users.deleted': 'Benutzer {name} gelöscht.',
  },
});

const customerRoles = ['customer_admin', 'print_manager', 'customer_user', 'guest_user'];
const providerRoles = ['provider_admin', 'provider_support'];
const userFields = {
  username: [/username/i],
  password: [/password/i],
  email: [/email/i],
  first_name: [/first/i],
  last_name: [/last/i],
  role: [/role/i],
};

export function fullName(u) {
  return [u.first_name, u.last_name].filter(Boolean).join(' ');
}

function UserForm({ user, roles, onDone, onCancel }) {
  const blank = { username: '', first_name: '', last_name: '', email: '', role: roles[roles.length - 2] || roles[0], password: '' };
  const [f, setF] = useState(
    user ? { first_name: user.first_name, last_name: user.last_name, email: user.email, role: user.role } : blank,
  );
  const [invite, setInvite] = useState(false);
  const [err, setErr] = useState({});
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const p = user ? `edit-${user.id}` : 'new';
  const submit = async (e) => {
    e.preventDefault();
    setErr({});
    const body = { ...f };
    if (!body.password || invite) delete body.password;
    if (invite) body.invite = true;
    try {
      await onDone(body);
      if (!user) {
        setF(blank);
        setInvite(false);
      }
    } catch (x) {
      setErr(fieldError(x, invite ? { ...userFields, email: [/email/i, /invitation/i] } : userFields));
    }
  };
  const input = (k, label, type = 'text', auto = 'off') => html`<${Field} id=${`${p}-${k}`} label=${label} error=${err.field === k && err.text}>
      ${(a) => html`<input ...${a} type=${type} autocomplete=${auto} value=${f[k]} onInput=${set(k)} />`}<//>`;
  return html`<form class="form-grid" onSubmit=${submit} novalidate>
    ${!user && input('username', t('users.username'))}
    ${input('first_name', t('users.first'))}
    ${input('last_name', t('users.last'))}
    ${input('email', t('users.email'), 'email')}
    <${Field} id=${`${p}-role`} label=${t('users.role')} error=${err.field === 'role' && err.text}>
      ${(a) => html`<select ...${a} value=${f.role} onChange=${set('role')}>${roles.map((r) => html`<option value=${r}>${t(`role.${r}`)}</option>`)}</select>`}
    <//>
    ${!user && !invite && input('password', t('users.password'), 'password', 'new-password')}
    ${!user && html`<div class="checks"><label><input type="checkbox" checked=${invite} onChange=${(e) => setInvite(e.currentTarget.checked)} /> ${t('users.invite')}</label></div>`}
    <div class="actions"><button id=${`${p}-submit`} class="btn btn-primary" type="submit">${user ? t('users.save') : t('users.add')}</button>
      ${onCancel && html`<button class="btn" type="button" onClick=${onCancel}>${t('users.cancel')}</button>`}</div>
    ${!err.field && err.text && html`<${Notice} kind="error">${err.text}<//>`}
  </form>`;
}

let pinRouteMissing = false; // POST /users/{id}/pin answered "no such resource" once

/** One user's panel: details, account actions, cards, groups. */
function UserPanel({ me, org, user: u, roles, groups, onChanged, onClose }) {
  const [msg, setMsg] = useState({});
  const [, setTick] = useState(0);
  const cards = useApi(`/api/v1/users/${u.id}/cards`);
  const ref = useRef(null);
  useEffect(() => ref.current && ref.current.focus(), [u.id]);
  const act = async (fn) => {
    setMsg({});
    try {
      setMsg({ ok: await fn() });
    } catch (x) {
      if (x.pinRoute) {
        setTick((n) => n + 1);
        setMsg({ error: t('admin.unavailable', { msg: x.message }) });
      } else setMsg({ error: errorText(x) });
    }
  };
  const name = u.username;
  const toggleActive = () =>
    act(async () => {
      await api('PATCH', `/api/v1/users/${u.id}`, { active: !u.active });
      await onChanged();
      return t(u.active ? 'users.deactivated' : 'users.activated', { name });
    });
  const unlock = () =>
    act(async () => {
      await api('POST', `/api/v1/users/${u.id}/unlock`);
      await onChanged();
      return t('users.unlocked', { name });
    });
  const reset = () =>
    act(async () => {
      if (!u.email) throw Object.assign(new Error(t('users.reset.noemail')), { status: 400 });
      await api('POST', '/api/v1/auth/password-reset', { org: org.slug, username: u.username });
      return t('users.reset.sent', { email: u.email });
    });
  const newPin = () =>
    act(async () => {
      let r;
      try {
        r = await api('POST', `/api/v1/users/${u.id}/pin`);
      } catch (x) {
        if (missingRoute(x)) {
          pinRouteMissing = true;
          x.pinRoute = true;
        }
        throw x;
      }
      // AUTH-8: the PIN goes to the user only (by email, or shown at their next sign-in);
      // the admin learns how it travels, never the PIN.
      await onChanged();
      return t(r && r.delivery === 'email' ? 'users.pin.emailed' : 'users.pin.nextsignin', { name: u.username });
    });
  const removeCard = (c) =>
    act(async () => {
      await api('DELETE', `/api/v1/users/${u.id}/cards/${c.id}`);
      await cards.reload();
      return t('users.cards.deleted', { number: c.number });
    });
  const member = (g, on) =>
    act(async () => {
      await api(on ? 'PUT' : 'DELETE', `/api/v1/groups/${g.id}/members/${u.id}`);
      await groups.reload();
      return t(on ? 'users.groups.added' : 'users.groups.removed', { name, group: g.name });
    });
  const remove = () =>
    act(async () => {
      await api('DELETE', `/api/v1/users/${u.id}`);
      onClose(t('users.deleted', { name }));
      await onChanged();
      return '';
    });
  const self = u.id === me.id;
  return html`<section class="card panel" aria-labelledby="panel-h">
    <div class="section-head"><h2 id="panel-h" tabindex="-1" ref=${ref}><bdi>${t('users.manage.title', { name })}</bdi></h2>
      <button class="btn btn-quiet" type="button" onClick=${() => onClose('')}>${t('users.close')}</button></div>
    <${Notice} kind="error">${msg.error}<//><${Notice}>${msg.ok}<//>
    <h3>${t('users.edit')}</h3>
    <${UserForm} key=${u.id} user=${u} roles=${roles}
      onDone=${async (body) => { await api('PATCH', `/api/v1/users/${u.id}`, body); await onChanged(); setMsg({ ok: t('users.saved', { name }) }); }} />
    <h3>${t('users.actions')}</h3>
    <p class="muted">${u.pin ? t('users.pin.has') : t('users.pin.none')}</p>
    <div class="actions">
      ${!self && html`<button type="button" class="btn" onClick=${toggleActive}>${u.active ? t('users.deactivate', { name }) : t('users.activate', { name })}</button>`}
      ${u.locked && html`<button type="button" class="btn" onClick=${unlock}>${t('users.unlock', { name })}</button>`}
      <button type="button" class="btn" onClick=${reset}>${t('users.reset')}</button>
      ${!pinRouteMissing && html`<button type="button" class="btn" onClick=${newPin}>${t('users.pin')}</button>`}
      ${!self && html`<${ConfirmButton} small=${false} label=${t('users.delete')} action=${t('users.delete.action', { name })} onConfirm=${remove} />`}
    </div>
    <h3>${t('users.cards')}</h3>
    ${!cards.data ? html`<${Loading} error=${cards.error} />`
      : cards.data.items.length === 0 ? html`<p class="muted">${t('users.cards.empty')}</p>`
      : html`<div class="table-wrap"><table><thead><tr><th scope="col">${t('users.cards.col.number')}</th><th scope="col">${t('users.cards.col.added')}</th><th scope="col"><span class="sr-only">${t('users.col.actions')}</span></th></tr></thead>
        <tbody>${cards.data.items.map((c) => html`<tr><td>${c.number}</td><td>${fmtTime(c.created_at)}</td>
          <td><button type="button" class="btn btn-danger btn-small" aria-label=${t('users.cards.delete', { number: c.number })} onClick=${() => removeCard(c)}>✕</button></td></tr>`)}</tbody></table></div>`}
    <h3 id="groups-h">${t('users.groups')}</h3>
    ${!groups.data ? html`<${Loading} error=${groups.error} />`
      : groups.data.items.length === 0 ? html`<p class="muted">${t('users.groups.none')}</p>`
      : html`<div class="checks" role="group" aria-labelledby="groups-h">${groups.data.items.map((g) => html`<label>
          <input type="checkbox" checked=${g.members.includes(u.id)} onChange=${(e) => member(g, e.currentTarget.checked)} /> <bdi>${g.name}</bdi></label>`)}</div>`}
  </section>`;
}

// A page of the user list: the server pages and searches (an org may have 100,000 users).
const PAGE = 50;
// How long typing pauses before the search goes to the server.
const SEARCH_PAUSE_MS = 250;

function Users({ me, org, headingRef }) {
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  // The `after` cursor of each page before this one (empty: the first page).
  const [cursors, setCursors] = useState([]);
  useEffect(() => {
    // Only a changed search starts again at the first page (not the page's first render: a
    // "next page" chosen meanwhile stands).
    const term = q.trim();
    if (term === query) return undefined;
    const id = setTimeout(() => {
      setQuery(term);
      setCursors([]);
    }, SEARCH_PAUSE_MS);
    return () => clearTimeout(id);
  }, [q]);
  const qs = new URLSearchParams({ limit: String(PAGE) });
  if (query) qs.set('q', query);
  if (cursors.length) qs.set('after', cursors[cursors.length - 1]);
  const users = useApi(`/api/v1/orgs/${me.org_id}/users?${qs}`);
  const groups = useApi(`/api/v1/orgs/${me.org_id}/groups`);
  const [open, setOpen] = useState(null);
  const [msg, setMsg] = useState({});
  const [onetime, setOnetime] = useState(null);
  const roles = org && org.type === 'provider' ? providerRoles : customerRoles;
  const create = async (body) => {
    setMsg({});
    const u = await api('POST', `/api/v1/orgs/${me.org_id}/users`, body);
    if (u.password) setOnetime(u);
    setMsg({ ok: u.invited ? t('users.invited', { name: u.username, email: u.email }) : t('users.created', { name: u.username }) });
    await users.reload();
  };
  const items = users.data ? users.data.items : [];
  const next = users.data && users.data.next;
  const from = cursors.length * PAGE + 1;
  const range = t(next ? 'users.range.more' : 'users.range', { from, to: from + items.length - 1 });
  const current = open && items.find((u) => u.id === open);
  return html`<${Title} headingRef=${headingRef}>${t('users.title', { org: org ? org.name : '' })}<//>
    <${Notice} kind="error">${msg.error}<//><${Notice}>${msg.ok}<//>
    ${users.error ? html`<${Loading} error=${users.error} />` : html`
    <section class="card" aria-labelledby="create-h"><h2 id="create-h">${t('users.create')}</h2>
      <${UserForm} roles=${roles} onDone=${create} /></section>
    ${current && html`<${UserPanel} key=${current.id} me=${me} org=${org} user=${current} roles=${roles} groups=${groups} onChanged=${users.reload}
      onClose=${(m) => { setOpen(null); setMsg(m ? { ok: m } : {}); }} />`}
    <section aria-labelledby="users-h"><h2 id="users-h">${t('nav.users')}</h2>
    <div class="toolbar">
      <${Field} id="user-search" label=${t('users.search')} hint=${t('users.search.hint')}>
        ${(a) => html`<input ...${a} type="search" value=${q} onInput=${(e) => setQ(e.currentTarget.value)} />`}
      <//>
      ${users.data && items.length > 0 && html`<p class="muted" role="status">${range}</p>`}
    </div>
    ${!users.data ? html`<${Loading} />` : items.length === 0 ? html`<${Empty}>${query ? t('users.nomatch', { q: query }) : t('users.empty')}<//>`
      : html`<div class="table-wrap"><table>
      <thead><tr><th scope="col">${t('users.col.username')}</th><th scope="col">${t('users.col.name')}</th><th scope="col">${t('users.col.email')}</th><th scope="col">${t('users.col.role')}</th><th scope="col">${t('users.col.state')}</th><th scope="col"><span class="sr-only">${t('users.col.actions')}</span></th></tr></thead>
      <tbody>${items.map((u) => html`<tr data-user=${u.id}>
        <td class="name"><bdi>${u.username}</bdi></td><td class="name"><bdi>${fullName(u)}</bdi></td><td class="name"><bdi>${u.email}</bdi></td><td>${t(`role.${u.role}`)}</td>
        <td>${u.active ? t('users.active') : t('users.inactive')}${u.locked ? html` <span class="badge badge-failed">${t('users.locked')}</span>` : ''}</td>
        <td><button type="button" class="btn btn-small" aria-label=${t('users.manage', { name: u.username })} aria-expanded=${open === u.id ? 'true' : 'false'} onClick=${() => setOpen(open === u.id ? null : u.id)}>${t('users.manage.short')}</button></td>
      </tr>`)}
      </tbody></table></div>`}
    ${(cursors.length > 0 || next) && html`<div class="actions pager">
      <button type="button" class="btn" disabled=${cursors.length === 0} onClick=${() => setCursors(cursors.slice(0, -1))}>${t('users.prev')}</button>
      <button type="button" class="btn" disabled=${!next} onClick=${() => setCursors([...cursors, next])}>${t('users.next')}</button>
    </div>`}</section>`}
    ${onetime && html`<${SecretDialog} title=${t('users.onetime', { name: onetime.username })} rows=${[{ label: t('users.onetime.label'), value: onetime.password }]} returnTo="new-submit" onClose=${() => setOnetime(null)} />`}`;
}

export const pages = [{ path: 'users', nav: 'nav.users', view: Users, roles: ['customer_admin', 'provider_admin'] }];
