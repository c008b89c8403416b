// SPDX-License-Identifier: Apache-2.0
// quire portal, the customer admin's pages: the capture setup (CAP-1, CAP-3, CAP-4):
// document classes with typed attributes, WebDAV destinations, scan workflows. (The API has
// no "test connection" for destinations yet, so the page offers none.)
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { addMessages, t } from '../i18n.js';
import { Loading, Title, useApi, useOutcome } from '../pages.js';
import { Field, html, Notice } from '../ui.js';
import { ConfirmButton } from './common.js';

addMessages({
  en: {
    'nav.capture': 'Capture setup',
    'capture.title': 'Capture setup',
    'capture.delete': 'Delete',
    'capture.delete.action': 'delete {name}',
    'capture.deleted': '{name} deleted.',
    'capture.col.name': 'Name',
    'capture.col.actions': 'Actions',
    'classes.title': 'Document classes',
    'classes.hint': 'A class names the attributes a scanned document carries (an invoice: number, date, supplier…).',
    'classes.name': 'Class name',
    'classes.attrs': 'Attributes',
    'classes.attr.name': 'Attribute {n}: name',
    'classes.attr.type': 'Attribute {n}: type',
    'classes.attr.required': 'Required',
    'classes.attr.values': 'Attribute {n}: choices (comma-separated)',
    'classes.attr.add': 'Add an attribute',
    'classes.attr.remove': 'Remove attribute {n}',
    'classes.type.text': 'Text',
    'classes.type.number': 'Number',
    'classes.type.date': 'Date',
    'classes.type.list': 'List of choices',
    'classes.add': 'Create class',
    'classes.created': 'Document class {name} created.',
    'classes.empty': 'No document classes.',
    'classes.col.attrs': 'Attributes',
    'classes.inherited': 'from the provider',
    'dest.title': 'Destinations',
    'dest.hint': 'Where workflows deliver documents: a WebDAV folder (Nextcloud, SharePoint, a file server). Without one, documents go to the user’s download area.',
    'dest.name': 'Destination name',
    'dest.url': 'Folder URL (https://…/)',
    'dest.username': 'User name (optional)',
    'dest.secret': 'Password (optional; stored sealed, never shown again)',
    'dest.add': 'Create destination',
    'dest.created': 'Destination {name} created.',
    'dest.empty': 'No destinations.',
    'dest.col.url': 'Folder',
    'dest.col.secret': 'Password',
    'dest.secret.yes': 'stored',
    'dest.secret.no': 'none',
    'wf.title': 'Workflows',
    'wf.hint': 'What users choose at a printer’s panel when they scan.',
    'wf.name': 'Workflow name',
    'wf.format': 'File format',
    'wf.format.pdf': 'PDF (images)',
    'wf.format.pdf_text': 'Searchable PDF',
    'wf.format.pdfa': 'PDF/A (archive, searchable)',
    'wf.format.tiff': 'TIFF',
    'wf.format.jpeg': 'JPEG (one per page)',
    'wf.language': 'Text recognition language(s)',
    'wf.language.hint': 'Tesseract names, e.g. eng or eng+deu.',
    'wf.destination': 'Destination',
    'wf.destination.none': 'The user’s download area',
    'wf.class': 'Document class',
    'wf.class.none': 'None',
    'wf.folder': 'Folder below the destination (optional)',
    'wf.add': 'Create workflow',
    'wf.created': 'Workflow {name} created.',
    'wf.empty': 'No workflows. Users cannot scan until there is one.',
    'wf.col.format': 'Format',
    'wf.col.destination': 'Destination',
    'wf.col.state': 'State',
    'wf.enabled': 'Enabled',
    'wf.disabled': 'Disabled',
    'wf.enable.of': 'Enable {name}',
    'wf.disable.of': 'Disable {name}',
    'wf.enable': 'Enable',
    'wf.disable': 'Disable',
    'wf.nowEnabled': 'Workflow {name} enabled.',
    'wf.nowDisabled': 'Workflow {name} disabled: it is no longer offered at the panel.',
  },
  de: {
    'nav.capture': 'Erfassung',
    'capture.title': 'Einrichtung der Erfassung',
    'capture.delete': 'Löschen',
    'capture.delete.action': '{name} löschen',
    'capture.deleted': '{name} gelöscht.',
    'capture.col.name': 'Name',
    'capture.col.actions': 'Aktionen',
    'classes.title': 'Dokumentklassen',
    'classes.hint': 'Eine Klasse benennt die Attribute eines gescannten Dokuments (eine Rechnung: Nummer, Datum, Lieferant …).',
    'classes.name': 'Name der Klasse',
    'classes.attrs': 'Attribute',
    'classes.attr.name': 'Attribut {n}: Name',
    'classes.attr.type': 'Attribut {n}: Typ',
    'classes.attr.required': 'Pflicht',
    'classes.attr.values': 'Attribut {n}: Auswahlwerte (durch Kommas getrennt)',
    'classes.attr.add': 'Attribut hinzufügen',
    'classes.attr.remove': 'Attribut {n} entfernen',
    'classes.type.text': 'Text',
    'classes.type.number': 'Zahl',
    'classes.type.date': 'Datum',
    'classes.type.list': 'Auswahlliste',
    'classes.add': 'Klasse anlegen',
    'classes.created': 'Dokumentklasse {name} angelegt.',
    'classes.empty': 'Keine Dokumentklassen.',
    'classes.col.attrs': 'Attribute',
    'classes.inherited': 'vom Anbieter',
    'dest.title': 'Ziele',
    'dest.hint': 'Wohin Workflows Dokumente liefern: ein WebDAV-Ordner (Nextcloud, SharePoint, ein Dateiserver). Ohne Ziel gehen Dokumente in den Download-Bereich des Benutzers.',
    'dest.name': 'Name des Ziels',
    'dest.url': 'Ordner-URL (https://…/)',
    'dest.username': 'Benutzername (optional)',
    'dest.secret': 'Passwort (optional; versiegelt gespeichert, nie wieder angezeigt)',
    'dest.add': 'Ziel anlegen',
    'dest.created': 'Ziel {name} angelegt.',
    'dest.empty': 'Keine Ziele.',
    'dest.col.url': 'Ordner',
    'dest.col.secret': 'Passwort',
    'dest.secret.yes': 'gespeichert',
    'dest.secret.no': 'keines',
    'wf.title': 'Workflows',
    'wf.hint': 'Was Benutzer beim Scannen am Bedienfeld eines Druckers wählen.',
    'wf.name': 'Name des Workflows',
    'wf.format': 'Dateiformat',
    'wf.format.pdf': 'PDF (Bilder)',
    'wf.format.pdf_text': 'Durchsuchbares PDF',
    'wf.format.pdfa': 'PDF/A (Archiv, durchsuchbar)',
    'wf.format.tiff': 'TIFF',
    'wf.format.jpeg': 'JPEG (eines pro Seite)',
    'wf.language': 'Sprache(n) der Texterkennung',
    'wf.language.hint': 'Tesseract-Namen, z. B. eng oder eng+deu.',
    'wf.destination': 'Ziel',
    'wf.destination.none': 'Download-Bereich des Benutzers',
    'wf.class': 'Dokumentklasse',
    'wf.class.none': 'Keine',
    'wf.folder': 'Ordner unterhalb des Ziels (optional)',
    'wf.add': 'Workflow anlegen',
    'wf.created': 'Workflow {name} angelegt.',
    'wf.empty': 'Keine Workflows. Benutzer können erst scannen, wenn es einen gibt.',
    'wf.col.format': 'Format',
    'wf.col.destination': 'Ziel',
    'wf.col.state': 'Zustand',
    'wf.enabled': 'Aktiv',
    'wf.disabled': 'Deaktiviert',
    'wf.enable.of': '{name} aktivieren',
    'wf.disable.of': '{name} deaktivieren',
    'wf.enable': 'Aktivieren',
    'wf.disable': 'Deaktivieren',
    'wf.nowEnabled': 'Workflow {name} aktiviert.',
    'wf.nowDisabled': 'Workflow {name} deaktiviert: Er wird am Bedienfeld nicht mehr angeboten.',
  },
});

const TYPES = ['text', 'number', 'date', 'list'];
const FORMATS = ['pdf_text', 'pdf', 'pdfa', 'tiff', 'jpeg'];

function Classes({ org, run, err, classes }) {
  const [name, setName] = useState('');
  const [attrs, setAttrs] = useState([]);
  const setAttr = (i, k, v) => setAttrs(attrs.map((a, j) => (j === i ? { ...a, [k]: v } : a)));
  const create = (e) => {
    e.preventDefault();
    const body = {
      name,
      attributes: attrs.map((a) => ({
        name: a.name,
        type: a.type,
        required: a.required,
        ...(a.type === 'list' ? { values: a.values.split(',').map((v) => v.trim()).filter(Boolean) } : {}),
      })),
    };
    run(async () => {
      const c = await api('POST', `/api/v1/orgs/${org}/classes`, body);
      setName('');
      setAttrs([]);
      await classes.reload();
      return t('classes.created', { name: c.name });
    }, { 'class-attrs': [/attribute/i], 'class-name': [/name/i] });
  };
  const remove = (c) =>
    run(async () => {
      await api('DELETE', `/api/v1/classes/${c.id}`);
      await classes.reload();
      return t('capture.deleted', { name: c.name });
    });
  return html`<section class="card" aria-labelledby="classes-h"><h2 id="classes-h">${t('classes.title')}</h2>
    <p class="muted">${t('classes.hint')}</p>
    <form onSubmit=${create} novalidate>
      <${Field} id="class-name" label=${t('classes.name')} error=${err.field === 'class-name' && err.text}>
        ${(a) => html`<input ...${a} type="text" maxlength="100" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />`}
      <//>
      <fieldset class="radios" aria-describedby=${err.field === 'class-attrs' ? 'class-attrs-error' : undefined}>
        <legend>${t('classes.attrs')}</legend>
        ${attrs.map((a, i) => html`<div class="attr-row">
          <${Field} id=${`attr-${i}-name`} label=${t('classes.attr.name', { n: i + 1 })}>
            ${(x) => html`<input ...${x} type="text" maxlength="64" value=${a.name} onInput=${(e) => setAttr(i, 'name', e.currentTarget.value)} />`}<//>
          <${Field} id=${`attr-${i}-type`} label=${t('classes.attr.type', { n: i + 1 })}>
            ${(x) => html`<select ...${x} value=${a.type} onChange=${(e) => setAttr(i, 'type', e.currentTarget.value)}>
              ${TYPES.map((ty) => html`<option value=${ty}>${t(`classes.type.${ty}`)}</option>`)}</select>`}<//>
          ${a.type === 'list' && html`<${Field} id=${`attr-${i}-values`} label=${t('classes.attr.values', { n: i + 1 })}>
            ${(x) => html`<input ...${x} type="text" value=${a.values} onInput=${(e) => setAttr(i, 'values', e.currentTarget.value)} />`}<//>`}
          <div class="checks"><label><input type="checkbox" checked=${a.required} onChange=${(e) => setAttr(i, 'required', e.currentTarget.checked)} /> ${t('classes.attr.required')}</label>
            <button type="button" class="btn btn-small btn-danger" aria-label=${t('classes.attr.remove', { n: i + 1 })} onClick=${() => setAttrs(attrs.filter((_, j) => j !== i))}>✕</button></div>
        </div>`)}
        <button type="button" class="btn btn-small" onClick=${() => setAttrs([...attrs, { name: '', type: 'text', required: false, values: '' }])}>${t('classes.attr.add')}</button>
        ${err.field === 'class-attrs' && html`<p class="field-error" id="class-attrs-error">${err.text}</p>`}
      </fieldset>
      <button class="btn btn-primary" type="submit">${t('classes.add')}</button>
    </form>
    ${!classes.data ? html`<${Loading} error=${classes.error} />` : classes.data.items.length === 0 ? html`<p class="muted">${t('classes.empty')}</p>` : html`<div class="table-wrap spaced"><table>
      <thead><tr><th scope="col">${t('capture.col.name')}</th><th scope="col">${t('classes.col.attrs')}</th><th scope="col"><span class="sr-only">${t('capture.col.actions')}</span></th></tr></thead>
      <tbody>${classes.data.items.map((c) => html`<tr data-class=${c.id}>
        <td class="name"><bdi>${c.name}</bdi>${c.inherited_from ? html` <span class="badge">${t('classes.inherited')}</span>` : ''}</td>
        <td>${c.attributes.map((a) => html`<span class="badge">${a.name}: ${t(`classes.type.${a.type}`)}${a.required ? ' *' : ''}</span> `)}</td>
        <td><${ConfirmButton} label=${t('capture.delete')} action=${t('capture.delete.action', { name: c.name })} onConfirm=${() => remove(c)} /></td>
      </tr>`)}</tbody></table></div>`}
  </section>`;
}

function Destinations({ org, run, err, dests }) {
  const blank = { name: '', url: '', username: '', secret: '' };
  const [f, setF] = useState(blank);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const create = (e) => {
    e.preventDefault();
    const settings = { url: f.url };
    if (f.username) settings.username = f.username;
    run(async () => {
      const d = await api('POST', `/api/v1/orgs/${org}/destinations`, { name: f.name, kind: 'webdav', settings, secret: f.secret || null });
      setF(blank);
      await dests.reload();
      return t('dest.created', { name: d.name });
    }, { 'dest-url': [/url/i], 'dest-username': [/username|user name/i], 'dest-secret': [/secret/i], 'dest-name': [/name/i] });
  };
  const remove = (d) =>
    run(async () => {
      await api('DELETE', `/api/v1/destinations/${d.id}`);
      await dests.reload();
      return t('capture.deleted', { name: d.name });
    });
  const input = (k, label, type = 'text') => html`<${Field} id=${`dest-${k}`} label=${label} error=${err.field === `dest-${k}` && err.text}>
    ${(a) => html`<input ...${a} type=${type} autocomplete=${type === 'password' ? 'new-password' : 'off'} value=${f[k]} onInput=${set(k)} />`}<//>`;
  return html`<section class="card" aria-labelledby="dest-h"><h2 id="dest-h">${t('dest.title')}</h2>
    <p class="muted">${t('dest.hint')}</p>
    <form class="form-grid" onSubmit=${create} novalidate>
      ${input('name', t('dest.name'))}${input('url', t('dest.url'), 'url')}${input('username', t('dest.username'))}${input('secret', t('dest.secret'), 'password')}
      <div class="actions"><button class="btn btn-primary" type="submit">${t('dest.add')}</button></div>
    </form>
    ${!dests.data ? html`<${Loading} error=${dests.error} />` : dests.data.items.length === 0 ? html`<p class="muted">${t('dest.empty')}</p>` : html`<div class="table-wrap spaced"><table>
      <thead><tr><th scope="col">${t('capture.col.name')}</th><th scope="col">${t('dest.col.url')}</th><th scope="col">${t('dest.col.secret')}</th><th scope="col"><span class="sr-only">${t('capture.col.actions')}</span></th></tr></thead>
      <tbody>${dests.data.items.map((d) => html`<tr data-destination=${d.id}>
        <td class="name"><bdi>${d.name}</bdi></td><td class="name"><bdi>${d.settings.url}</bdi></td><td>${d.has_secret ? t('dest.secret.yes') : t('dest.secret.no')}</td>
        <td><${ConfirmButton} label=${t('capture.delete')} action=${t('capture.delete.action', { name: d.name })} onConfirm=${() => remove(d)} /></td>
      </tr>`)}</tbody></table></div>`}
  </section>`;
}

function Workflows({ org, run, err, flows, classes, dests }) {
  const blank = { name: '', format: 'pdf_text', language: 'eng', destination_id: '', class_id: '', folder: '' };
  const [f, setF] = useState(blank);
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const create = (e) => {
    e.preventDefault();
    const body = { ...f, destination_id: f.destination_id || null, class_id: f.class_id || null };
    run(async () => {
      const w = await api('POST', `/api/v1/orgs/${org}/workflows`, body);
      setF(blank);
      await flows.reload();
      return t('wf.created', { name: w.name });
    }, { 'wf-language': [/language/i], 'wf-folder': [/folder/i], 'wf-name': [/name/i] });
  };
  const toggle = (w) =>
    run(async () => {
      await api('PATCH', `/api/v1/workflows/${w.id}`, { enabled: !w.enabled });
      await flows.reload();
      return t(w.enabled ? 'wf.nowDisabled' : 'wf.nowEnabled', { name: w.name });
    });
  const remove = (w) =>
    run(async () => {
      await api('DELETE', `/api/v1/workflows/${w.id}`);
      await flows.reload();
      return t('capture.deleted', { name: w.name });
    });
  const destName = new Map(((dests.data && dests.data.items) || []).map((d) => [d.id, d.name]));
  const input = (k, label, hint) => html`<${Field} id=${`wf-${k}`} label=${label} hint=${hint} error=${err.field === `wf-${k}` && err.text}>
    ${(a) => html`<input ...${a} type="text" value=${f[k]} onInput=${set(k)} />`}<//>`;
  const select = (k, label, options) => html`<${Field} id=${`wf-${k}`} label=${label}>
    ${(a) => html`<select ...${a} value=${f[k]} onChange=${set(k)}>${options.map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select>`}<//>`;
  return html`<section class="card" aria-labelledby="wf-h"><h2 id="wf-h">${t('wf.title')}</h2>
    <p class="muted">${t('wf.hint')}</p>
    <form class="form-grid" onSubmit=${create} novalidate>
      ${input('name', t('wf.name'))}
      ${select('format', t('wf.format'), FORMATS.map((x) => [x, t(`wf.format.${x}`)]))}
      ${input('language', t('wf.language'), t('wf.language.hint'))}
      ${select('destination_id', t('wf.destination'), [['', t('wf.destination.none')], ...((dests.data && dests.data.items) || []).map((d) => [d.id, d.name])])}
      ${select('class_id', t('wf.class'), [['', t('wf.class.none')], ...((classes.data && classes.data.items) || []).map((c) => [c.id, c.name])])}
      ${input('folder', t('wf.folder'))}
      <div class="actions"><button class="btn btn-primary" type="submit">${t('wf.add')}</button></div>
    </form>
    ${!flows.data ? html`<${Loading} error=${flows.error} />` : flows.data.items.length === 0 ? html`<p class="muted">${t('wf.empty')}</p>` : html`<div class="table-wrap spaced"><table>
      <thead><tr><th scope="col">${t('capture.col.name')}</th><th scope="col">${t('wf.col.format')}</th><th scope="col">${t('wf.col.destination')}</th><th scope="col">${t('wf.col.state')}</th><th scope="col"><span class="sr-only">${t('capture.col.actions')}</span></th></tr></thead>
      <tbody>${flows.data.items.map((w) => html`<tr data-workflow=${w.id}>
        <td class="name"><bdi>${w.name}</bdi></td><td>${t(`wf.format.${w.format}`)}</td>
        <td class="name"><bdi>${w.destination_id ? destName.get(w.destination_id) || w.destination_id : t('wf.destination.none')}</bdi></td>
        <td><span class=${`badge ${w.enabled ? 'badge-done' : 'badge-failed'}`}>${w.enabled ? t('wf.enabled') : t('wf.disabled')}</span></td>
        <td class="row-actions"><button type="button" class="btn btn-small" aria-label=${t(w.enabled ? 'wf.disable.of' : 'wf.enable.of', { name: w.name })} onClick=${() => toggle(w)}>${w.enabled ? t('wf.disable') : t('wf.enable')}</button>
          <${ConfirmButton} label=${t('capture.delete')} action=${t('capture.delete.action', { name: w.name })} onConfirm=${() => remove(w)} /></td>
      </tr>`)}</tbody></table></div>`}
  </section>`;
}

function Capture({ me, headingRef }) {
  const org = me.org_id;
  const classes = useApi(`/api/v1/orgs/${org}/classes`);
  const dests = useApi(`/api/v1/orgs/${org}/destinations`);
  const flows = useApi(`/api/v1/orgs/${org}/workflows`);
  // One outcome per section, so that a message stands by the form it concerns.
  const c = useOutcome();
  const d = useOutcome();
  const w = useOutcome();
  const notices = (o) => html`<${Notice}>${o.news}<//>${!o.err.field && o.err.text && html`<${Notice} kind="error">${o.err.text}<//>`}`;
  return html`<${Title} headingRef=${headingRef}>${t('capture.title')}<//>
    ${classes.error ? html`<${Loading} error=${classes.error} />` : html`
      ${notices(c)}<${Classes} org=${org} run=${c.run} err=${c.err} classes=${classes} />
      ${notices(d)}<${Destinations} org=${org} run=${d.run} err=${d.err} dests=${dests} />
      ${notices(w)}<${Workflows} org=${org} run=${w.run} err=${w.err} flows=${flows} classes=${classes} dests=${dests} />`}`;
}

export const pages = [{ path: 'capture', nav: 'nav.capture', view: Capture, roles: ['customer_admin', 'provider_admin'] }];
