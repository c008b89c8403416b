// SPDX-License-Identifier: Apache-2.0
// quire portal, the customer admin's pages: groups (create, rename, delete, members).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { Loading, Title, useApi, useOutcome } from '../pages.js';
import { Empty, Field, html, Notice } from '../ui.js';
import { ConfirmButton } from './common.js';
import { fullName } from './users.js';

addMessages({
  en: {
    'nav.groups': 'Groups',
    'groups.title': 'Groups',
    'groups.create': 'Create a group',
    'groups.name': 'Group name',
    'groups.add': 'Create group',
    'groups.created': 'Group {name} created.',
    'groups.empty': 'No groups yet. Groups gather users, for reports and for workflows.',
    'groups.col.name': 'Name',
    'groups.col.members': 'Members',
    'groups.col.actions': 'Actions',
    'groups.members': 'Members',
    'groups.members.of': 'Members of {name}',
    'groups.rename': 'Rename',
    'groups.rename.of': 'Rename {name}',
    'groups.renamed': 'Group {old} renamed to {name}.',
    'groups.delete': 'Delete',
    'groups.delete.action': 'delete {name}',
    'groups.deleted': 'Group {name} deleted.',
    'groups.nomembers': 'No members yet.',
    'groups.adduser': 'Add a user',
    'groups.adduser.btn': 'Add',
    'groups.choose': 'Choose a user…',
    'groups.added': '{user} added to {name}.',
    'groups.remove': 'Remove {user} from {name}',
    'groups.removed': '{user} removed from {name}.',
    'groups.save': 'Save',
    'groups.cancel': 'Cancel',
  },
  de: {
    'nav.groups': 'Gruppen',
    'groups.title': 'Gruppen',
    'groups.create': 'Gruppe anlegen',
    'groups.name': 'Gruppenname',
    'groups.add': 'Gruppe anlegen',
    'groups.created': 'Gruppe {name} angelegt.',
    'groups.empty': 'Noch keine Gruppen. Gruppen fassen Benutzer zusammen, für Berichte und Workflows.',
    'groups.col.name': 'Name',
    'groups.col.members': 'Mitglieder',
    'groups.col.actions': 'Aktionen',
    'groups.members': 'Mitglieder',
    'groups.members.of': 'Mitglieder von {name}',
    'groups.rename': 'Umbenennen',
    'groups.rename.of': '{name} umbenennen',
    'groups.renamed': 'Gruppe {old} in {name} umbenannt.',
    'groups.delete': 'Löschen',
    'groups.delete.action': '{name} löschen',
    'groups.deleted': 'Gruppe {name} gelöscht.',
    'groups.nomembers': 'Noch keine Mitglieder.',
    'groups.adduser': 'Benutzer hinzufügen',
    'groups.adduser.btn': 'Hinzufügen',
    'groups.choose': 'Benutzer wählen …',
    'groups.added': '{user} zu {name} hinzugefügt.',
    'groups.remove': '{user} aus {name} entfernen',
    'groups.removed': '{user} aus {name} entfernt.',
    'groups.save': 'Speichern',
    'groups.cancel': 'Abbrechen',
  },
});

function Members({ group: g, users, run, reload }) {
  const [pick, setPick] = useState('');
  const ref = useRef(null);
  useEffect(() => ref.current && ref.current.focus(), [g.id]);
  const byId = new Map((users || []).map((u) => [u.id, u]));
  const label = (id) => (byId.get(id) ? byId.get(id).username : id);
  const others = (users || []).filter((u) => !g.members.includes(u.id));
  const add = (e) => {
    e.preventDefault();
    if (!pick) return;
    run(async () => {
      await api('PUT', `/api/v1/groups/${g.id}/members/${pick}`);
      setPick('');
      await reload();
      return t('groups.added', { user: label(pick), name: g.name });
    });
  };
  const remove = (id) =>
    run(async () => {
      await api('DELETE', `/api/v1/groups/${g.id}/members/${id}`);
      await reload();
      return t('groups.removed', { user: label(id), name: g.name });
    });
  return html`<section class="card panel" aria-labelledby="members-h">
    <h2 id="members-h" tabindex="-1" ref=${ref}><bdi>${t('groups.members.of', { name: g.name })}</bdi></h2>
    ${g.members.length === 0 ? html`<p class="muted">${t('groups.nomembers')}</p>`
      : html`<ul class="plain-list">${g.members.map((id) => html`<li><bdi>${label(id)}</bdi>${byId.get(id) && fullName(byId.get(id)) ? html` <span class="muted"><bdi>${fullName(byId.get(id))}</bdi></span>` : ''}
          <button type="button" class="btn btn-danger btn-small" aria-label=${t('groups.remove', { user: label(id), name: g.name })} onClick=${() => remove(id)}>✕</button></li>`)}</ul>`}
    ${others.length > 0 && html`<form class="inline-form" onSubmit=${add}>
      <${Field} id="member-add" label=${t('groups.adduser')}>
        ${(a) => html`<select ...${a} value=${pick} onChange=${(e) => setPick(e.currentTarget.value)}>
          <option value="">${t('groups.choose')}</option>
          ${others.map((u) => html`<option value=${u.id}>${u.username}</option>`)}</select>`}
      <//>
      <button class="btn btn-primary" type="submit" disabled=${!pick}>${t('groups.adduser.btn')}</button>
    </form>`}
  </section>`;
}

function Rename({ group: g, run, reload, onDone, error }) {
  const [name, setName] = useState(g.name);
  const ref = useRef(null);
  useEffect(() => ref.current && ref.current.focus(), []);
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      await api('PATCH', `/api/v1/groups/${g.id}`, { name });
      await reload();
      onDone();
      return t('groups.renamed', { old: g.name, name });
    }, { name: [/name/i, /conflict/] });
  };
  return html`<form class="inline-form" onSubmit=${submit}>
    <${Field} id=${`rename-${g.id}`} label=${t('groups.rename.of', { name: g.name })} error=${error}>
      ${(a) => html`<input ...${a} ref=${ref} type="text" maxlength="100" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />`}
    <//>
    <button class="btn btn-primary" type="submit">${t('groups.save')}</button>
    <button class="btn" type="button" onClick=${onDone}>${t('groups.cancel')}</button>
  </form>`;
}

function Groups({ me, headingRef }) {
  const groups = useApi(`/api/v1/orgs/${me.org_id}/groups`);
  const users = useApi(`/api/v1/orgs/${me.org_id}/users`);
  const [name, setName] = useState('');
  const [open, setOpen] = useState(null);
  const [renaming, setRenaming] = useState(null);
  const { err, news, run } = useOutcome();
  const create = (e) => {
    e.preventDefault();
    run(
      async () => {
        const g = await api('POST', `/api/v1/orgs/${me.org_id}/groups`, { name });
        setName('');
        await groups.reload();
        return t('groups.created', { name: g.name });
      },
      { name: [/name/i, /conflict/] },
    );
  };
  const remove = (g) =>
    run(async () => {
      await api('DELETE', `/api/v1/groups/${g.id}`);
      if (open === g.id) setOpen(null);
      await groups.reload();
      return t('groups.deleted', { name: g.name });
    });
  const items = groups.data ? groups.data.items : [];
  const current = open && items.find((g) => g.id === open);
  return html`<${Title} headingRef=${headingRef}>${t('groups.title')}<//>
    <${Notice}>${news}<//>${err.text && err.field !== 'name' && html`<${Notice} kind="error">${err.text}<//>`}
    ${groups.error ? html`<${Loading} error=${groups.error} />` : html`
    <section class="card" aria-labelledby="gcreate-h"><h2 id="gcreate-h">${t('groups.create')}</h2>
      <form class="inline-form" onSubmit=${create} novalidate>
        <${Field} id="group-name" label=${t('groups.name')} error=${err.field === 'name' && !renaming && err.text}>
          ${(a) => html`<input ...${a} type="text" maxlength="100" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />`}
        <//>
        <button class="btn btn-primary" type="submit">${t('groups.add')}</button>
      </form>
    </section>
    ${current && html`<${Members} key=${current.id} group=${current} users=${users.data && users.data.items} run=${run} reload=${groups.reload} />`}
    ${!groups.data ? html`<${Loading} />` : items.length === 0 ? html`<${Empty}>${t('groups.empty')}<//>` : html`<div class="table-wrap"><table>
      <thead><tr><th scope="col">${t('groups.col.name')}</th><th scope="col" class="num">${t('groups.col.members')}</th><th scope="col"><span class="sr-only">${t('groups.col.actions')}</span></th></tr></thead>
      <tbody>${items.map((g) => html`<tr data-group=${g.id}>
        <td class="name">${renaming === g.id ? html`<${Rename} group=${g} run=${run} reload=${groups.reload} onDone=${() => setRenaming(null)} error=${err.field === 'name' && err.text} />` : html`<bdi>${g.name}</bdi>`}</td>
        <td class="num">${g.members.length}</td>
        <td class="row-actions">
          <button type="button" class="btn btn-small" aria-expanded=${open === g.id ? 'true' : 'false'} aria-label=${t('groups.members.of', { name: g.name })} onClick=${() => setOpen(open === g.id ? null : g.id)}>${t('groups.members')}</button>
          <button type="button" class="btn btn-small" aria-label=${t('groups.rename.of', { name: g.name })} onClick=${() => setRenaming(g.id)}>${t('groups.rename')}</button>
          <${ConfirmButton} label=${t('groups.delete')} action=${t('groups.delete.action', { name: g.name })} onConfirm=${() => remove(g)} />
        </td></tr>`)}</tbody></table></div>`}`}`;
}

export const pages = [{ path: 'groups', nav: 'nav.groups', view: Groups, roles: ['customer_admin', 'provider_admin'] }];
