// SPDX-License-Identifier: Apache-2.0
// quire portal, the customer admin's pages: devices (register with the secret shown once,
// enable/disable, delete, rotate the secret).
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { addMessages, fmtTime, t } from '../i18n.js';
import { Loading, Title, useApi, useOutcome } from '../pages.js';
import { Empty, Field, html, Notice } from '../ui.js';
import { ConfirmButton, missingRoute, SecretDialog } from './common.js';

addMessages({
  en: {
    'nav.devices': 'Devices',
    'devices.title': 'Devices',
    'devices.register': 'Register a device',
    'devices.serial': 'Serial number',
    'devices.model': 'Model (optional)',
    'devices.hostname': 'Host name (optional)',
    'devices.ip': 'IP address (optional)',
    'devices.add': 'Register device',
    'devices.registered': 'Device {serial} registered.',
    'devices.secret.title': 'Credentials of device {serial}',
    'devices.secret.id': 'Client ID',
    'devices.secret.secret': 'Client secret',
    'devices.secret.hint': 'Enter both in the device’s quire app; the device signs in with them.',
    'devices.empty': 'No devices yet. Register each printer with its serial number.',
    'devices.col.serial': 'Serial',
    'devices.col.model': 'Model',
    'devices.col.host': 'Host name',
    'devices.col.ip': 'IP address',
    'devices.col.state': 'State',
    'devices.col.added': 'Registered',
    'devices.col.actions': 'Actions',
    'devices.enabled': 'Enabled',
    'devices.disabled': 'Disabled',
    'devices.enable': 'Enable',
    'devices.disable': 'Disable',
    'devices.enable.of': 'Enable {serial}',
    'devices.disable.of': 'Disable {serial}',
    'devices.nowEnabled': 'Device {serial} enabled.',
    'devices.nowDisabled': 'Device {serial} disabled: its credentials and sessions are refused.',
    'devices.rotate': 'New secret',
    'devices.rotate.of': 'New secret for {serial}',
    'devices.rotated': 'Device {serial} has a new secret; the old one no longer works.',
    'devices.delete': 'Delete',
    'devices.delete.action': 'delete {serial}',
    'devices.deleted': 'Device {serial} deleted.',
  },
  de: {
    'nav.devices': 'Geräte',
    'devices.title': 'Geräte',
    'devices.register': 'Gerät registrieren',
    'devices.serial': 'Seriennummer',
    'devices.model': 'Modell (optional)',
    'devices.hostname': 'Hostname (optional)',
    'devices.ip': 'IP-Adresse (optional)',
    'devices.add': 'Gerät registrieren',
    'devices.registered': 'Gerät {serial} registriert.',
    'devices.secret.title': 'Zugangsdaten von Gerät {serial}',
    'devices.secret.id': 'Client-ID',
    'devices.secret.secret': 'Client-Geheimnis',
    'devices.secret.hint': 'Tragen Sie beides in der quire-App des Geräts ein; das Gerät meldet sich damit an.',
    'devices.empty': 'Noch keine Geräte. Registrieren Sie jeden Drucker mit seiner Seriennummer.',
    'devices.col.serial': 'Seriennummer',
    'devices.col.model': 'Modell',
    'devices.col.host': 'Hostname',
    'devices.col.ip': 'IP-Adresse',
    'devices.col.state': 'Zustand',
    'devices.col.added': 'Registriert',
    'devices.col.actions': 'Aktionen',
    'devices.enabled': 'Aktiv',
    'devices.disabled': 'Deaktiviert',
    'devices.enable': 'Aktivieren',
    'devices.disable': 'Deaktivieren',
    'devices.enable.of': '{serial} aktivieren',
    'devices.disable.of': '{serial} deaktivieren',
    'devices.nowEnabled': 'Gerät {serial} aktiviert.',
    'devices.nowDisabled': 'Gerät {serial} deaktiviert: Seine Zugangsdaten und Sitzungen werden abgewiesen.',
    'devices.rotate': 'Neues Geheimnis',
    'devices.rotate.of': 'Neues Geheimnis für {serial}',
    'devices.rotated': 'Gerät {serial} hat ein neues Geheimnis; das alte gilt nicht mehr.',
    'devices.delete': 'Löschen',
    'devices.delete.action': '{serial} löschen',
    'devices.deleted': 'Gerät {serial} gelöscht.',
  },
});

const deviceFields = { serial: [/serial/i, /already registered/], model: [/model/i], hostname: [/hostname/i], ip: [/\bip\b/i] };
let rotateMissing = false; // POST /devices/{id}/secret answered "no such resource" once

function Devices({ me, headingRef }) {
  const devices = useApi(`/api/v1/orgs/${me.org_id}/devices`);
  const blank = { serial: '', model: '', hostname: '', ip: '' };
  const [f, setF] = useState(blank);
  const [secret, setSecret] = useState(null);
  const { err, news, run } = useOutcome();
  const set = (k) => (e) => setF({ ...f, [k]: e.currentTarget.value });
  const register = (e) => {
    e.preventDefault();
    const body = Object.fromEntries(Object.entries(f).filter(([k, v]) => k === 'serial' || v.trim() !== ''));
    run(async () => {
      const d = await api('POST', `/api/v1/orgs/${me.org_id}/devices`, body);
      setF(blank);
      setSecret({ ...d, from: 'dev-register' });
      await devices.reload();
      return t('devices.registered', { serial: d.serial });
    }, deviceFields);
  };
  const toggle = (d) =>
    run(async () => {
      await api('PATCH', `/api/v1/devices/${d.id}`, { enabled: !d.enabled });
      await devices.reload();
      return t(d.enabled ? 'devices.nowDisabled' : 'devices.nowEnabled', { serial: d.serial });
    });
  const rotate = (d) =>
    run(async () => {
      let r;
      try {
        r = await api('POST', `/api/v1/devices/${d.id}/secret`);
      } catch (x) {
        if (missingRoute(x)) {
          rotateMissing = true;
          throw Object.assign(new Error(t('admin.unavailable', { msg: x.message })), { status: 400 });
        }
        throw x;
      }
      setSecret({ serial: d.serial, client_id: r.client_id || d.client_id, client_secret: r.client_secret, from: `dev-rotate-${d.id}` });
      return t('devices.rotated', { serial: d.serial });
    });
  const remove = (d) =>
    run(async () => {
      await api('DELETE', `/api/v1/devices/${d.id}`);
      await devices.reload();
      return t('devices.deleted', { serial: d.serial });
    });
  const input = (k, label, extra = {}) => html`<${Field} id=${`dev-${k}`} label=${label} error=${err.field === k && err.text}>
    ${(a) => html`<input ...${a} ...${extra} type="text" autocomplete="off" value=${f[k]} onInput=${set(k)} />`}<//>`;
  const items = devices.data ? devices.data.items : [];
  return html`<${Title} headingRef=${headingRef}>${t('devices.title')}<//>
    <${Notice}>${news}<//>${!err.field && err.text && html`<${Notice} kind="error">${err.text}<//>`}
    ${devices.error ? html`<${Loading} error=${devices.error} />` : html`
    <section class="card" aria-labelledby="dreg-h"><h2 id="dreg-h">${t('devices.register')}</h2>
      <form class="form-grid" onSubmit=${register} novalidate>
        ${input('serial', t('devices.serial'), { maxlength: 64, required: true })}
        ${input('model', t('devices.model'), { maxlength: 128 })}
        ${input('hostname', t('devices.hostname'), { maxlength: 253 })}
        ${input('ip', t('devices.ip'), { maxlength: 64, inputmode: 'decimal' })}
        <div class="actions"><button id="dev-register" class="btn btn-primary" type="submit">${t('devices.add')}</button></div>
      </form>
    </section>
    ${!devices.data ? html`<${Loading} />` : items.length === 0 ? html`<${Empty}>${t('devices.empty')}<//>` : html`<div class="table-wrap"><table>
      <thead><tr><th scope="col">${t('devices.col.serial')}</th><th scope="col">${t('devices.col.model')}</th><th scope="col">${t('devices.col.host')}</th><th scope="col">${t('devices.col.ip')}</th><th scope="col">${t('devices.col.state')}</th><th scope="col">${t('devices.col.added')}</th><th scope="col"><span class="sr-only">${t('devices.col.actions')}</span></th></tr></thead>
      <tbody>${items.map((d) => html`<tr data-device=${d.id}>
        <td><bdi>${d.serial}</bdi></td><td class="name"><bdi>${d.model}</bdi></td><td><bdi>${d.hostname}</bdi></td><td>${d.ip}</td>
        <td><span class=${`badge ${d.enabled ? 'badge-done' : 'badge-failed'}`}>${d.enabled ? t('devices.enabled') : t('devices.disabled')}</span></td>
        <td>${fmtTime(d.created_at)}</td>
        <td class="row-actions">
          <button type="button" class="btn btn-small" aria-label=${t(d.enabled ? 'devices.disable.of' : 'devices.enable.of', { serial: d.serial })} onClick=${() => toggle(d)}>${d.enabled ? t('devices.disable') : t('devices.enable')}</button>
          ${!rotateMissing && html`<button type="button" id=${`dev-rotate-${d.id}`} class="btn btn-small" aria-label=${t('devices.rotate.of', { serial: d.serial })} onClick=${() => rotate(d)}>${t('devices.rotate')}</button>`}
          <${ConfirmButton} label=${t('devices.delete')} action=${t('devices.delete.action', { serial: d.serial })} onConfirm=${() => remove(d)} />
        </td></tr>`)}</tbody></table></div>`}`}
    ${secret && html`<${SecretDialog} title=${t('devices.secret.title', { serial: secret.serial })} hint=${t('devices.secret.hint')}
      rows=${[{ label: t('devices.secret.id'), value: secret.client_id }, { label: t('devices.secret.secret'), value: secret.client_secret }]}
      returnTo=${secret.from} onClose=${() => setSecret(null)} />`}`;
}

export const pages = [{ path: 'devices', nav: 'nav.devices', view: Devices, roles: ['customer_admin'] }];
