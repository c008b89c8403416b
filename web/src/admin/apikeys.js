// SPDX-License-Identifier: Apache-2.0
// quire portal, the customer admin's pages: API keys (REP-5: create with scopes, the secret
// shown once, revoke) and the audit log (REP-4: newest first, filters, load more).
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { addMessages, fmtTime, t } from '../i18n.js';
import { Loading, Title, useApi, useOutcome } from '../pages.js';
import { Empty, Field, html, Notice } from '../ui.js';
import { ConfirmButton, SecretDialog } from './common.js';

addMessages({
  en: {
    'nav.apikeys': 'API keys',
    'apikeys.title': 'API keys',
    'apikeys.intro': 'An API key lets another program read your organization’s data through quire’s API, limited to the scopes you choose.',
    'apikeys.create': 'Create an API key',
    'apikeys.name': 'Name (what the key is for)',
    'apikeys.scopes': 'Scopes',
    'apikeys.scope.users:read': 'Read users (users:read)',
    'apikeys.scope.joblog:read': 'Read the job log (joblog:read)',
    'apikeys.add': 'Create API key',
    'apikeys.created': 'API key {name} created.',
    'apikeys.secret.title': 'API key {name}',
    'apikeys.secret.id': 'Client ID',
    'apikeys.secret.secret': 'Client secret',
    'apikeys.secret.hint': 'The program gets a token with both at POST /oauth/token (grant type client_credentials).',
    'apikeys.empty': 'No API keys.',
    'apikeys.col.name': 'Name',
    'apikeys.col.scopes': 'Scopes',
    'apikeys.col.created': 'Created',
    'apikeys.col.used': 'Last used',
    'apikeys.col.actions': 'Actions',
    'apikeys.never': 'never',
    'apikeys.revoke': 'Revoke',
    'apikeys.revoke.action': 'revoke {name}',
    'apikeys.revoked': 'API key {name} revoked; its tokens stop working at once.',
    'apikeys.noscope': 'Choose at least one scope.',
  },
  de: {
    'nav.apikeys': 'API-Schlüssel',
    'apikeys.title': 'API-Schlüssel',
    'apikeys.intro': 'Mit einem API-Schlüssel liest ein anderes Programm Daten Ihrer Organisation über die API von quire, beschränkt auf die gewählten Bereiche.',
    'apikeys.create': 'API-Schlüssel anlegen',
    'apikeys.name': 'Name (wofür der Schlüssel ist)',
    'apikeys.scopes': 'Bereiche',
    'apikeys.scope.users:read': 'Benutzer lesen (users:read)',
    'apikeys.scope.joblog:read': 'Auftragsprotokoll lesen (joblog:read)',
    'apikeys.add': 'API-Schlüssel anlegen',
    'apikeys.created': 'API-Schlüssel {name} angelegt.',
    'apikeys.secret.title': 'API-Schlüssel {name}',
    'apikeys.secret.id': 'Client-ID',
    'apikeys.secret.secret': 'Client-Geheimnis',
    'apikeys.secret.hint': 'Das Programm erhält damit ein Token über POST /oauth/token (Grant-Typ client_credentials).',
    'apikeys.empty': 'Keine API-Schlüssel.',
    'apikeys.col.name': 'Name',
    'apikeys.col.scopes': 'Bereiche',
    'apikeys.col.created': 'Angelegt',
    'apikeys.col.used': 'Zuletzt benutzt',
    'apikeys.col.actions': 'Aktionen',
    'apikeys.never': 'nie',
    'apikeys.revoke': 'Widerrufen',
    'apikeys.revoke.action': '{name} widerrufen',
    'apikeys.revoked': 'API-Schlüssel {name} widerrufen; seine Tokens gelten ab sofort nicht mehr.',
    'apikeys.noscope': 'Wählen Sie mindestens einen Bereich.',
  },
});

const SCOPES = ['users:read', 'joblog:read'];

function ApiKeys({ me, headingRef }) {
  const clients = useApi(`/api/v1/orgs/${me.org_id}/clients`);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState(['users:read']);
  const [secret, setSecret] = useState(null);
  const { err, news, run } = useOutcome();
  const create = (e) => {
    e.preventDefault();
    run(
      async () => {
        if (scopes.length === 0) throw Object.assign(new Error(t('apikeys.noscope')), { status: 400, code: 'scopes' });
        let c;
        try {
          c = await api('POST', `/api/v1/orgs/${me.org_id}/clients`, { name, scopes });
        } catch (x) {
          // The provider has not enabled API keys: the API's own message, as it is.
          if (x.code === 'feature_disabled') throw Object.assign(new Error(x.message), { status: 400, code: x.code });
          throw x;
        }
        setName('');
        setSecret(c);
        await clients.reload();
        return t('apikeys.created', { name: c.name });
      },
      { name: [/^invalid_request .*name/i], scopes: [/^scopes |^invalid_request .*scope/i] },
    );
  };
  const revoke = (c) =>
    run(async () => {
      await api('DELETE', `/api/v1/clients/${c.client_id}`);
      await clients.reload();
      return t('apikeys.revoked', { name: c.name });
    });
  const keys = clients.data ? clients.data.items.filter((c) => c.scopes && c.scopes.length > 0) : [];
  return html`<${Title} headingRef=${headingRef}>${t('apikeys.title')}<//>
    <p class="muted">${t('apikeys.intro')}</p>
    <${Notice}>${news}<//>${!err.field && err.text && html`<${Notice} kind="error">${err.text}<//>`}
    ${clients.error ? html`<${Loading} error=${clients.error} />` : html`
    <section class="card" aria-labelledby="kcreate-h"><h2 id="kcreate-h">${t('apikeys.create')}</h2>
      <form onSubmit=${create} novalidate>
        <${Field} id="key-name" label=${t('apikeys.name')} error=${err.field === 'name' && err.text}>
          ${(a) => html`<input ...${a} type="text" maxlength="100" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />`}
        <//>
        <fieldset class="radios" aria-describedby=${err.field === 'scopes' ? 'key-scopes-error' : undefined}>
          <legend>${t('apikeys.scopes')}</legend>
          <div class="checks">${SCOPES.map((s) => html`<label><input type="checkbox" checked=${scopes.includes(s)}
            onChange=${(e) => setScopes(e.currentTarget.checked ? SCOPES.filter((x) => x === s || scopes.includes(x)) : scopes.filter((x) => x !== s))} /> ${t(`apikeys.scope.${s}`)}</label>`)}</div>
          ${err.field === 'scopes' && html`<p class="field-error" id="key-scopes-error">${err.text}</p>`}
        </fieldset>
        <button id="key-add" class="btn btn-primary" type="submit">${t('apikeys.add')}</button>
      </form>
    </section>
    ${!clients.data ? html`<${Loading} />` : keys.length === 0 ? html`<${Empty}>${t('apikeys.empty')}<//>` : html`<div class="table-wrap"><table>
      <thead><tr><th scope="col">${t('apikeys.col.name')}</th><th scope="col">${t('apikeys.col.scopes')}</th><th scope="col">${t('apikeys.col.created')}</th><th scope="col">${t('apikeys.col.used')}</th><th scope="col"><span class="sr-only">${t('apikeys.col.actions')}</span></th></tr></thead>
      <tbody>${keys.map((c) => html`<tr data-client=${c.client_id}>
        <td class="name"><bdi>${c.name}</bdi></td><td>${c.scopes.map((s) => html`<span class="badge">${s}</span> `)}</td>
        <td>${fmtTime(c.created_at)}</td><td>${c.last_used_at ? fmtTime(c.last_used_at) : t('apikeys.never')}</td>
        <td><${ConfirmButton} label=${t('apikeys.revoke')} action=${t('apikeys.revoke.action', { name: c.name })} onConfirm=${() => revoke(c)} /></td>
      </tr>`)}</tbody></table></div>`}`}
    ${secret && html`<${SecretDialog} title=${t('apikeys.secret.title', { name: secret.name })} hint=${t('apikeys.secret.hint')}
      rows=${[{ label: t('apikeys.secret.id'), value: secret.client_id }, { label: t('apikeys.secret.secret'), value: secret.client_secret }]}
      returnTo="key-add" onClose=${() => setSecret(null)} />`}`;
}

export const pages = [{ path: 'api-keys', nav: 'nav.apikeys', view: ApiKeys, roles: ['customer_admin', 'provider_admin'] }];
