// SPDX-License-Identifier: Apache-2.0
// TEN-7: regions managed by the root provider's admins (EULA and privacy URLs, desktop client
// package URL, PIN length rule, desktop idle logout); each org belongs to a region set by its
// parent (inherited by default); the PIN rule applies at once and the desktop values reach
// the signed-in user at GET /api/v1/me/settings.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus, assertError, createOrg, createUser, tokenOf } from './lib/server.js';

let srv;
let root;
let eu;     // the region "EU"
let dealer; // provider child of root, in EU
let cust;   // customer of the dealer (inherits EU)
let alice;  // a user of cust
let plain;  // a customer of root without a region
let bob;    // a user of plain

const EU = {
    name: 'EU',
    eula_url: 'https://quire.example.com/eu/eula',
    privacy_url: 'https://quire.example.com/eu/privacy',
    desktop_client_url: 'https://downloads.example.com/quire-desktop-eu.msi',
    pin_lengths: [8],
    desktop_idle_minutes: 10,
};

before(async () => {
    srv = await startServer();
    root = await srv.rootToken();
});

after(async () => {
    if (srv)
        await srv.stop();
});

describe('TEN-7 regions', () => {
    test('TEN-7 the root provider\'s admin creates a region; bad values are refused', async () => {
        const r = await srv.request('POST', '/api/v1/regions', { token: root, body: EU });
        assertStatus(r, 201);
        eu = r.json;
        for (const [k, v] of Object.entries(EU))
            assert.deepEqual(eu[k], v, k);
        for (const [body, re] of [
            [{ name: 'X', eula_url: 'http://insecure.example.com' }, /eula_url must be empty or an https:\/\/ URL/],
            [{ name: 'X', pin_lengths: [7] }, /pin_lengths must list none \(no rule\) or some of 4, 5, 6 and 8/],
            [{ name: 'X', desktop_idle_minutes: 5000 }, /desktop_idle_minutes/],
            [{ eula_url: '' }, /name/],
        ]) {
            const x = await srv.request('POST', '/api/v1/regions', { token: root, body });
            assertError(x, 400, 'invalid_request');
            assert.match(x.json.message, re);
        }
        assertError(await srv.request('POST', '/api/v1/regions', { token: root, body: { name: 'EU' } }), 409, 'conflict');
        const list = await srv.request('GET', '/api/v1/regions', { token: root });
        assertStatus(list, 200);
        assert.deepEqual(list.json.items.map((g) => g.name), ['EU']);
        const audit = await srv.request('GET', `/api/v1/orgs/${srv.root.orgId}/audit`, { token: root });
        assert.ok(audit.json.items.some((e) => e.action === 'region_created' && e.target_id === eu.id), 'audited');
    });

    test('TEN-7 an org gets its region from its parent, inherited by default', async () => {
        dealer = await createOrg(srv, root, { parentId: srv.root.orgId, type: 'provider', extra: { region_id: eu.id } });
        assert.equal(dealer.org.region_id, eu.id);
        cust = await createOrg(srv, dealer.token, { parentId: dealer.org.id, type: 'customer' });
        assert.equal(cust.org.region_id, eu.id, 'inherited from the parent');
        plain = await createOrg(srv, root, { parentId: srv.root.orgId, type: 'customer' });
        assert.equal(plain.org.region_id, null, 'the root belongs to no region');
        const bad = await srv.request('POST', '/api/v1/orgs', { token: root,
            body: { parent_id: srv.root.orgId, type: 'customer', name: 'Nowhere', slug: 'nowhere-1', region_id: 'f'.repeat(32) } });
        assertError(bad, 400, 'invalid_request');
        assert.match(bad.json.message, /region_id is not a region/);
        // Only the parent sets it.
        const own = await srv.request('PATCH', `/api/v1/orgs/${cust.org.id}`, { token: cust.token, body: { region_id: null } });
        assertError(own, 403, 'forbidden');
        const others = await srv.request('GET', '/api/v1/regions', { token: dealer.token });
        assertError(others, 403, 'forbidden');
        assert.equal(others.json.message, "regions are managed by the root provider's admins");
    });

    test('TEN-7 AUTH-8 the region\'s PIN rule applies at once, and the error names the allowed lengths', async () => {
        alice = await createUser(srv, cust.token, cust.org, { role: 'customer_user' });
        const t = await tokenOf(srv, alice);
        const short = await srv.request('POST', '/api/v1/me/pin', { token: t, body: { pin: '4821' } });
        assertError(short, 400, 'invalid_pin');
        assert.equal(short.json.message, 'a PIN is digits only, of a length your organization allows: 8 digits');
        assertStatus(await srv.request('POST', '/api/v1/me/pin', { token: t, body: { pin: '48213377' } }), 200);
        const gen = await srv.request('POST', '/api/v1/me/pin', { token: t, body: {} });
        assertStatus(gen, 200);
        assert.match(gen.json.pin, /^\d{8}$/, 'a generated PIN has the region\'s length');
        // The org narrows within the region's rule: region [6, 8], org [4, 6] -> 6.
        assertStatus(await srv.request('PATCH', `/api/v1/regions/${eu.id}`, { token: root, body: { pin_lengths: [6, 8] } }), 200);
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${cust.org.id}`, { token: cust.token, body: { pin_lengths: [4, 6] } }), 200);
        const eight = await srv.request('POST', '/api/v1/me/pin', { token: t, body: { pin: '48213377' } });
        assertError(eight, 400, 'invalid_pin');
        assert.equal(eight.json.message, 'a PIN is digits only, of a length your organization allows: 6 digits');
        assertStatus(await srv.request('POST', '/api/v1/me/pin', { token: t, body: { pin: '482133' } }), 200);
        // Without a region, the org's own lengths.
        bob = await createUser(srv, plain.token, plain.org, { role: 'customer_user' });
        const tb = await tokenOf(srv, bob);
        const bad = await srv.request('POST', '/api/v1/me/pin', { token: tb, body: { pin: '123' } });
        assert.equal(bad.json.message, 'a PIN is digits only, of a length your organization allows: 4, 5, 6 or 8 digits');
    });

    test('TEN-7 AUTH-7 the desktop client reads its region\'s values at /api/v1/me/settings', async () => {
        const s = await srv.request('GET', '/api/v1/me/settings', { token: await tokenOf(srv, alice) });
        assertStatus(s, 200);
        assert.deepEqual(s.json, {
            region: { id: eu.id, name: 'EU', eula_url: EU.eula_url, privacy_url: EU.privacy_url, desktop_client_url: EU.desktop_client_url },
            pin_lengths: [6],
            desktop_idle_minutes: 10,
        });
        const none = await srv.request('GET', '/api/v1/me/settings', { token: await tokenOf(srv, bob) });
        assert.deepEqual(none.json, { region: null, pin_lengths: [4, 5, 6, 8], desktop_idle_minutes: 15 });
        // A change of the region reaches the client at its next read.
        assertStatus(await srv.request('PATCH', `/api/v1/regions/${eu.id}`, { token: root, body: { desktop_idle_minutes: 30 } }), 200);
        const again = await srv.request('GET', '/api/v1/me/settings', { token: await tokenOf(srv, alice) });
        assert.equal(again.json.desktop_idle_minutes, 30);
    });

    test('TEN-7 a region in use cannot be deleted; moving the orgs frees it', async () => {
        const r = await srv.request('DELETE', `/api/v1/regions/${eu.id}`, { token: root });
        assertError(r, 409, 'in_use');
        assert.equal(r.json.message, "2 organizations belong to the region 'EU': move them to another region first");
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${cust.org.id}`, { token: dealer.token, body: { region_id: null } }), 200);
        const d = await srv.request('PATCH', `/api/v1/orgs/${dealer.org.id}`, { token: root, body: { region_id: null } });
        assertStatus(d, 200);
        assert.equal(d.json.region_id, null);
        assertStatus(await srv.request('DELETE', `/api/v1/regions/${eu.id}`, { token: root }), 204);
        assertError(await srv.request('GET', `/api/v1/regions/${eu.id}`, { token: root }), 404, 'not_found');
    });
});
