// SPDX-License-Identifier: Apache-2.0
// quire portal: the root provider's regions (TEN-7): EULA and privacy URLs, the desktop
// client's package, the PIN length rule and the desktop idle time. Anyone else gets the API's
// 403 message.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { Title, useLoad } from '../reportkit.js';
import { Empty, errorText, Field, fieldError, html, Notice } from '../ui.js';

addMessages({
  en: {
    'nav.regions': 'Regions',
    'regions.title': 'Regions',
    'regions.create': 'Create a region',
    'regions.created': 'Region “{name}” was created.',
    'regions.saved': 'Region “{name}” was saved.',
    'regions.deleted': 'Region “{name}” was deleted.',
    'regions.empty': 'No regions yet.',
    'regions.edit': 'Edit {name}',
    'regions.delete': 'Delete {name}',
    'regions.editing': 'Edit region “{name}”',
    'regions.f.name': 'Name',
    'regions.f.eula': 'EULA URL',
    'regions.f.privacy': 'Privacy policy URL',
    'regions.f.desktop': 'Desktop client package URL',
    'regions.f.url.hint': 'An https:// address, or empty.',
    'regions.f.pins': 'Allowed PIN lengths',
    'regions.f.pins.hint': 'None checked: no rule.',
    'regions.f.idle': 'Desktop idle logout (minutes)',
    'regions.f.idle.hint': '0 to 1440; 0 means the default (15 minutes).',
    'regions.col.name': 'Name',
    'regions.col.pins': 'PIN lengths',
    'regions.col.idle': 'Idle (min)',
    'regions.col.urls': 'Links',
    'regions.add': 'Create',
    'regions.save': 'Save',
    'regions.cancel': 'Cancel',
    'regions.norule': 'no rule',
  },
  de: {
    'nav.regions': 'Regionen',
    'regions.title': 'Regionen',
    'regions.create': 'Region anlegen',
    'regions.created': 'Region „{name}“ wurde angelegt.',
    'regions.saved': 'Region „{name}“ wurde gespeichert.',
    'regions.deleted': 'Region „{name}“ wurde gelöscht.',
    'regions.empty': 'Noch keine Regionen.',
    'regions.edit': '{name} bearbeiten',
    'regions.delete': '{name} löschen',
    'regions.editing': 'Region „{name}“ bearbeiten',
    'regions.f.name': 'Name',
    'regions.f.eula': 'URL der Lizenzbedingungen (EULA)',
    'regions.f.privacy': 'URL der Datenschutzerklärung',
    'regions.f.desktop': 'URL des Desktop-Client-Pakets',
    'regions.f.url.hint': 'Eine https://-Adresse oder leer.',
    'regions.f.pins': 'Erlaubte PIN-Längen',
    'regions.f.pins.hint': 'Keine angekreuzt: keine Regel.',
    'regions.f.idle': 'Desktop-Abmeldung bei Inaktivität (Minuten)',
    'regions.f.idle.hint': '0 bis 1440; 0 bedeutet Standard (15 Minuten).',
    'regions.col.name': 'Name',
    'regions.col.pins': 'PIN-Längen',
    'regions.col.idle': 'Inaktiv (Min.)',
    'regions.col.urls': 'Links',
    'regions.add': 'Anlegen',
    'regions.save': 'Speichern',
    'regions.cancel': 'Abbrechen',
    'regions.norule': 'keine Regel',
  },
});

const FIELDS = {
  eula_url: [/eula_url/],
  privacy_url: [/privacy_url/],
  desktop_client_url: [/desktop_client_url/],
  pin_lengths: [/pin_lengths/],
  desktop_idle_minutes: [/desktop_idle_minutes/],
  name: [/name/],
};

function RegionForm({ region, onDone, onCancel }) {
  const blank = { name: '', eula_url: '', privacy_url: '', desktop_client_url: '', pin_lengths: [], desktop_idle_minutes: '0' };
  const [f, setF] = useState(region ? { ...region, desktop_idle_minutes: String(region.desktop_idle_minutes) } : blank);
  const [err, setErr] = useState({});
  const p = region ? `reg-${region.id}` : 'reg-new';
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const submit = async (e) => {
    e.preventDefault();
    setErr({});
    try {
      await onDone({
        name: f.name,
        eula_url: f.eula_url,
        privacy_url: f.privacy_url,
        desktop_client_url: f.desktop_client_url,
        pin_lengths: [...f.pin_lengths].sort(),
        desktop_idle_minutes: Number(f.desktop_idle_minutes),
      });
      if (!region) setF(blank);
    } catch (x) {
      setErr(fieldError(x, FIELDS));
    }
  };
  const input = (k, label, type = 'text', hint) => html`<${Field} id=${`${p}-${k}`} label=${label} hint=${hint} error=${err.field === k && err.text}>
    ${(a) => html`<input ...${a} type=${type} autocomplete="off" value=${f[k]} onInput=${set(k)} />`}<//>`;
  const pinErr = err.field === 'pin_lengths' && err.text;
  return html`<form class="form-grid" onSubmit=${submit} novalidate>
    ${input('name', t('regions.f.name'))}
    ${input('eula_url', t('regions.f.eula'), 'url', t('regions.f.url.hint'))}
    ${input('privacy_url', t('regions.f.privacy'), 'url', t('regions.f.url.hint'))}
    ${input('desktop_client_url', t('regions.f.desktop'), 'url', t('regions.f.url.hint'))}
    ${input('desktop_idle_minutes', t('regions.f.idle'), 'number', t('regions.f.idle.hint'))}
    <fieldset class="checks" aria-describedby=${`${p}-pins-hint`}><legend>${t('regions.f.pins')}</legend>
      <p class="hint" id=${`${p}-pins-hint`}>${t('regions.f.pins.hint')}</p>
      ${[4, 5, 6, 8].map((n) => html`<label><input type="checkbox" checked=${f.pin_lengths.includes(n)}
        onChange=${(e) => setF({ ...f, pin_lengths: e.currentTarget.checked ? [...f.pin_lengths, n] : f.pin_lengths.filter((x) => x !== n) })} /> ${n}</label>`)}
      ${pinErr && html`<p class="field-error">${pinErr}</p>`}
    </fieldset>
    <div class="actions"><button class="btn btn-primary" type="submit">${region ? t('regions.save') : t('regions.add')}</button>
      ${onCancel && html`<button class="btn" type="button" onClick=${onCancel}>${t('regions.cancel')}</button>`}</div>
    ${!err.field && err.text && html`<${Notice} kind="error">${err.text}<//>`}
  </form>`;
}

function Regions({ headingRef }) {
  const list = useLoad('/api/v1/regions');
  const [editing, setEditing] = useState(null);
  const [msg, setMsg] = useState({});
  const create = async (body) => {
    const r = await api('POST', '/api/v1/regions', body);
    setMsg({ ok: t('regions.created', { name: r.name }) });
    list.reload();
  };
  const save = async (id, body) => {
    const r = await api('PATCH', `/api/v1/regions/${id}`, body);
    setEditing(null);
    setMsg({ ok: t('regions.saved', { name: r.name }) });
    list.reload();
  };
  const remove = async (r) => {
    setMsg({});
    try {
      await api('DELETE', `/api/v1/regions/${r.id}`);
      setMsg({ ok: t('regions.deleted', { name: r.name }) });
      list.reload();
    } catch (x) {
      setMsg({ error: errorText(x) });
    }
  };
  return html`<${Title} headingRef=${headingRef}>${t('regions.title')}<//>
    <${Notice} kind="error">${msg.error}<//><${Notice}>${msg.ok}<//>
    ${list.error ? html`<${Notice} kind="error">${errorText(list.error)}<//>`
      : !list.data ? html`<p class="loading" role="status">${t('app.loading')}</p>`
      : html`<section aria-labelledby="regions-h"><h2 id="regions-h">${t('regions.title')}</h2>
        ${list.data.items.length === 0 ? html`<${Empty}>${t('regions.empty')}<//>`
          : html`<div class="table-wrap"><table><thead><tr><th scope="col">${t('regions.col.name')}</th><th scope="col">${t('regions.col.pins')}</th><th scope="col" class="num">${t('regions.col.idle')}</th><th scope="col">${t('regions.col.urls')}</th><th scope="col"><span class="sr-only">${t('jobs.col.actions')}</span></th></tr></thead>
            <tbody>${list.data.items.map((r) => html`<tr data-region=${r.id}><td><bdi>${r.name}</bdi></td><td>${r.pin_lengths.length ? r.pin_lengths.join(', ') : t('regions.norule')}</td>
              <td class="num">${r.desktop_idle_minutes}</td>
              <td class="name">${[r.eula_url, r.privacy_url, r.desktop_client_url].filter(Boolean).map((u) => html`<div><bdi>${u}</bdi></div>`)}</td>
              <td class="row-actions"><button class="btn btn-small" aria-label=${t('regions.edit', { name: r.name })} onClick=${() => setEditing(r)}>✎</button>
                <button class="btn btn-small btn-danger" aria-label=${t('regions.delete', { name: r.name })} onClick=${() => remove(r)}>✕</button></td></tr>`)}</tbody></table></div>`}
      </section>
      ${editing && html`<section class="card" aria-labelledby="reg-edit-h"><h2 id="reg-edit-h"><bdi>${t('regions.editing', { name: editing.name })}</bdi></h2>
        <${RegionForm} key=${editing.id} region=${editing} onDone=${(b) => save(editing.id, b)} onCancel=${() => setEditing(null)} /></section>`}
      <section class="card" aria-labelledby="reg-new-h"><h2 id="reg-new-h">${t('regions.create')}</h2><${RegionForm} onDone=${create} /></section>`}`;
}

// Regions are the root provider's: a provider below it sees no such page (its API answers 403).
export const pages = [{ path: 'regions', nav: 'nav.regions', view: Regions, roles: ['provider_admin'], when: ({ org }) => !!org && !org.parent_id }];
