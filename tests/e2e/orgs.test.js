// SPDX-License-Identifier: Apache-2.0
// Organization tree (TEN-1) and organization record (TEN-8) through the API.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    startServer, assertStatus, assertError, createOrg, createUser, tokenOf, uniq, replaceOneTimePassword,
} from './lib/server.js';

let srv;
let rootToken;
let rootOrg;
let prov;      // {org, admin, token}: provider child of root
let cust;      // customer child of prov (grandchild of root)

before(async () => {
    srv = await startServer();
    rootToken = await srv.rootToken();
});

after(async () => {
    if (srv)
        await srv.stop();
});

const FULL = () => ({
    portal_url: `https://print-${uniq()}.example.com/portal`,
    admin_emails: [`ops-${uniq()}@example.com`, 'billing@example.com'],
    license: {
        devices: 25,
        ocr_pages_per_month: 10000,
        storage_mb: 2048,
        users: 50,
        features: ['print', 'scan'],
    },
    retention: { print_jobs_days: 7, scan_documents_days: 30, audit_days: 365 },
});

describe('TEN-1 organization tree', () => {
    test('TEN-1 root org is a provider without parent', async () => {
        const r = await srv.request('GET', `/api/v1/orgs/${srv.root.orgId}`, { token: rootToken });
        assertStatus(r, 200);
        rootOrg = r.json;
        assert.equal(rootOrg.id, srv.root.orgId);
        assert.equal(rootOrg.type, 'provider');
        assert.equal(rootOrg.parent_id, null);
        assert.equal(rootOrg.slug, srv.root.slug);
    });

    test('TEN-1 root provider admin creates a provider child with an admin', async () => {
        const slug = `prov-${uniq()}`;
        const r = await srv.request('POST', '/api/v1/orgs', {
            token: rootToken,
            body: { parent_id: srv.root.orgId, type: 'provider', name: 'North Sales', slug,
                admin: { username: `padmin.${uniq()}`, email: 'padmin@example.com', first_name: 'Ana', last_name: 'Lee' } },
        });
        assertStatus(r, 201);
        assert.equal(r.json.type, 'provider');
        assert.equal(r.json.parent_id, srv.root.orgId);
        assert.equal(r.json.slug, slug);
        assert.equal(r.json.name, 'North Sales');
        assert.ok(r.json.id !== undefined && r.json.id !== null);
        assert.ok(r.json.admin, 'response carries the admin');
        assert.equal(r.json.admin.role, 'provider_admin');
        assert.equal(typeof r.json.admin.password, 'string', 'one-time password shown once');
        assert.ok(r.json.admin.password.length >= 8);
        const t1 = await srv.login(slug, r.json.admin.username, r.json.admin.password);
        const first = await srv.request('GET', '/api/v1/me', { token: t1.access_token });
        assert.equal(first.json.password_change_required, true, 'the generated password is one-time');
        assertError(await srv.request('GET', '/api/v1/orgs', { token: t1.access_token }), 403, 'password_change_required');
        prov = { org: r.json, admin: { ...r.json.admin, slug } };
        prov.token = await replaceOneTimePassword(srv, prov.admin);
        const me = await srv.request('GET', '/api/v1/me', { token: prov.token });
        assertStatus(me, 200);
        assert.equal(me.json.role, 'provider_admin');
        assert.equal(me.json.org_id, prov.org.id);
        assert.equal(me.json.password, undefined);
    });

    test('TEN-1 provider child admin creates a customer grandchild with an admin', async () => {
        const slug = `cust-${uniq()}`;
        const r = await srv.request('POST', '/api/v1/orgs', {
            token: prov.token,
            body: { parent_id: prov.org.id, type: 'customer', name: 'Acme Ltd', slug,
                admin: { username: `cadmin.${uniq()}` } },
        });
        assertStatus(r, 201);
        assert.equal(r.json.type, 'customer');
        assert.equal(r.json.parent_id, prov.org.id);
        assert.equal(r.json.admin.role, 'customer_admin');
        cust = { org: r.json, admin: { ...r.json.admin, slug } };
        cust.token = await replaceOneTimePassword(srv, cust.admin);
        const me = await srv.request('GET', '/api/v1/me', { token: cust.token });
        assertStatus(me, 200);
        assert.equal(me.json.role, 'customer_admin');
        assert.equal(me.json.org_id, cust.org.id);
    });

    test('TEN-1 the one-time admin password is not shown again', async () => {
        const r = await srv.request('GET', `/api/v1/orgs/${cust.org.id}`, { token: prov.token });
        assertStatus(r, 200);
        assert.equal(r.json.admin, undefined);
        assert.doesNotMatch(r.text, new RegExp(cust.admin.oneTimePassword.replace(/[^A-Za-z0-9]/g, '.')));
    });

    test('TEN-1 providers nest: a provider child creates a provider grandchild', async () => {
        const sub = await createOrg(srv, prov.token, { parentId: prov.org.id, type: 'provider' });
        assert.equal(sub.org.parent_id, prov.org.id);
        const leaf = await createOrg(srv, sub.token, { parentId: sub.org.id, type: 'customer' });
        assert.equal(leaf.org.parent_id, sub.org.id);
    });

    test('TEN-1 a customer organization cannot have children (400 invalid_request)', async () => {
        for (const [who, token] of [['parent provider admin', prov.token], ['root provider admin', rootToken]]) {
            for (const type of ['customer', 'provider']) {
                const r = await srv.request('POST', '/api/v1/orgs', {
                    token,
                    body: { parent_id: cust.org.id, type, name: 'Nope', slug: `nope-${uniq()}` },
                });
                assertError(r, 400, 'invalid_request', `${who} creates a ${type} under a customer`);
                assert.match(r.json.message, /customer/i);
            }
        }
        const r = await srv.request('POST', '/api/v1/orgs', {
            token: cust.token,
            body: { parent_id: cust.org.id, type: 'customer', name: 'Nope', slug: `nope-${uniq()}` },
        });
        assertStatus(r, [400, 403], 'customer admin creates a child of own org');
        const list = await srv.request('GET', '/api/v1/orgs', { token: rootToken });
        assert.ok(!list.json.items.some((o) => o.parent_id === cust.org.id), 'no child was created');
    });

    test('TEN-1 only a provider_admin of the parent creates child organizations', async () => {
        const support = await createUser(srv, prov.token, { id: prov.org.id, slug: prov.admin.slug },
            { role: 'provider_support' });
        const st = await tokenOf(srv, support);
        const slug = `sup-${uniq()}`;
        const r = await srv.request('POST', '/api/v1/orgs',
            { token: st, body: { parent_id: prov.org.id, type: 'customer', name: 'By support', slug } });
        assertError(r, 403, 'forbidden', 'provider_support creates a child');
        // A provider admin cannot create children under an org it does not administer.
        const other = await createOrg(srv, rootToken, { parentId: srv.root.orgId, type: 'provider' });
        const r2 = await srv.request('POST', '/api/v1/orgs',
            { token: other.token, body: { parent_id: prov.org.id, type: 'customer', name: 'Foreign', slug: `f-${uniq()}` } });
        assertError(r2, 404, 'not_found', 'provider admin creates a child of an unrelated provider');
        const list = await srv.request('GET', '/api/v1/orgs', { token: rootToken });
        assert.ok(!list.json.items.some((o) => o.slug === slug), 'no org was created');
    });

    test('TEN-1 slug already taken -> 409 conflict', async () => {
        for (const [parent, token] of [[prov.org.id, prov.token], [srv.root.orgId, rootToken]]) {
            const r = await srv.request('POST', '/api/v1/orgs', {
                token, body: { parent_id: parent, type: 'customer', name: 'Dup', slug: cust.org.slug },
            });
            assertError(r, 409, 'conflict', 'duplicate slug');
        }
        const r = await srv.request('POST', '/api/v1/orgs', {
            token: rootToken, body: { parent_id: srv.root.orgId, type: 'customer', name: 'Dup root', slug: srv.root.slug },
        });
        assertError(r, 409, 'conflict', 'root slug reused');
    });

    test('TEN-1 invalid type -> 400 invalid_request', async () => {
        const r = await srv.request('POST', '/api/v1/orgs', {
            token: rootToken, body: { parent_id: srv.root.orgId, type: 'reseller', name: 'X', slug: `x-${uniq()}` },
        });
        assertError(r, 400, 'invalid_request');
    });

    test('TEN-1 deleting an organization that has children -> 409 org_has_children', async () => {
        const r = await srv.request('DELETE', `/api/v1/orgs/${prov.org.id}`, { token: rootToken });
        assertError(r, 409, 'org_has_children');
        const g = await srv.request('GET', `/api/v1/orgs/${prov.org.id}`, { token: rootToken });
        assertStatus(g, 200, 'still there');
        assertStatus(await srv.request('GET', '/api/v1/me', { token: prov.token }), 200, 'its admin still works');
    });

    test('TEN-1 deleting a leaf organization works and removes its users', async () => {
        const leaf = await createOrg(srv, prov.token, { parentId: prov.org.id, type: 'customer' });
        const u = await createUser(srv, leaf.token, leaf.org, { role: 'customer_user' });
        const r = await srv.request('DELETE', `/api/v1/orgs/${leaf.org.id}`, { token: prov.token });
        assertStatus(r, 204);
        assertError(await srv.request('GET', `/api/v1/orgs/${leaf.org.id}`, { token: prov.token }), 404, 'not_found');
        const list = await srv.request('GET', '/api/v1/orgs', { token: prov.token });
        assert.ok(!list.json.items.some((o) => o.id === leaf.org.id));
        const l1 = await srv.tryLogin(leaf.admin.slug, leaf.admin.username, leaf.admin.password);
        assertError(l1, 401, 'invalid_credentials', 'admin of deleted org logs in');
        const l2 = await srv.tryLogin(u.slug, u.username, u.password);
        assertError(l2, 401, 'invalid_credentials', 'user of deleted org logs in');
        // Its slug is free again.
        const again = await srv.request('POST', '/api/v1/orgs', {
            token: prov.token, body: { parent_id: prov.org.id, type: 'customer', name: 'Reborn', slug: leaf.org.slug },
        });
        assertStatus(again, 201);
        assertStatus(await srv.request('DELETE', `/api/v1/orgs/${again.json.id}`, { token: prov.token }), 204);
    });

    test('TEN-1 only the parent provider admin deletes a child org', async () => {
        const leaf = await createOrg(srv, prov.token, { parentId: prov.org.id, type: 'customer' });
        const own = await srv.request('DELETE', `/api/v1/orgs/${leaf.org.id}`, { token: leaf.token });
        assertError(own, 403, 'forbidden', 'customer admin deletes own org');
        const other = await createOrg(srv, rootToken, { parentId: srv.root.orgId, type: 'provider' });
        const foreign = await srv.request('DELETE', `/api/v1/orgs/${leaf.org.id}`, { token: other.token });
        assertError(foreign, 404, 'not_found', 'unrelated provider admin deletes it');
        assertStatus(await srv.request('GET', `/api/v1/orgs/${leaf.org.id}`, { token: prov.token }), 200);
    });
});

describe('TEN-8 organization record', () => {
    let rec;

    test('TEN-8 all fields round-trip on create and read', async () => {
        const fields = FULL();
        const slug = `full-${uniq()}`;
        const r = await srv.request('POST', '/api/v1/orgs', {
            token: prov.token,
            body: { parent_id: prov.org.id, type: 'customer', name: 'Full Record GmbH', slug, ...fields,
                admin: { username: `fadmin.${uniq()}` } },
        });
        assertStatus(r, 201);
        rec = { org: r.json, admin: { ...r.json.admin, slug } };
        rec.token = await replaceOneTimePassword(srv, rec.admin);
        const g = await srv.request('GET', `/api/v1/orgs/${r.json.id}`, { token: prov.token });
        assertStatus(g, 200);
        for (const o of [r.json, g.json]) {
            assert.equal(o.name, 'Full Record GmbH');
            assert.equal(o.slug, slug);
            assert.equal(o.type, 'customer');
            assert.equal(o.parent_id, prov.org.id);
            assert.equal(o.portal_url, fields.portal_url);
            assert.deepEqual(o.admin_emails, fields.admin_emails);
            assert.deepEqual({ ...o.license, features: [...o.license.features].sort() },
                { ...fields.license, features: [...fields.license.features].sort() });
            assert.deepEqual(o.retention, fields.retention);
            assert.ok(o.created_at, 'created_at is set');
        }
        assert.equal(g.json.id, r.json.id);
        assert.equal(g.json.created_at, r.json.created_at);
        // The listing shows the same record.
        const list = await srv.request('GET', '/api/v1/orgs', { token: prov.token });
        const item = list.json.items.find((o) => o.id === r.json.id);
        assert.ok(item, 'listed under its parent');
        assert.equal(item.portal_url, fields.portal_url);
    });

    test('TEN-8 an org without optional fields has the documented shape', async () => {
        const r = await srv.request('POST', '/api/v1/orgs', {
            token: prov.token, body: { parent_id: prov.org.id, type: 'customer', name: 'Bare', slug: `bare-${uniq()}` },
        });
        assertStatus(r, 201);
        for (const k of ['id', 'parent_id', 'type', 'name', 'slug', 'portal_url', 'admin_emails', 'license', 'retention', 'created_at'])
            assert.ok(k in r.json, `field ${k} present`);
        assert.ok(Array.isArray(r.json.admin_emails));
        for (const k of ['devices', 'ocr_pages_per_month', 'storage_mb', 'users', 'features'])
            assert.ok(k in r.json.license, `license.${k} present`);
        for (const k of ['print_jobs_days', 'scan_documents_days', 'audit_days'])
            assert.ok(k in r.json.retention, `retention.${k} present`);
        assert.equal(r.json.admin, undefined, 'no admin object without "admin"');
    });

    test('TEN-8 the parent provider admin updates every editable field', async () => {
        const fields = FULL();
        fields.license = { devices: 3, ocr_pages_per_month: 50, storage_mb: 10, users: 20, features: ['print'] };
        const r = await srv.request('PATCH', `/api/v1/orgs/${rec.org.id}`,
            { token: prov.token, body: { name: 'Renamed GmbH', ...fields } });
        assertStatus(r, 200);
        const g = await srv.request('GET', `/api/v1/orgs/${rec.org.id}`, { token: prov.token });
        for (const o of [r.json, g.json]) {
            assert.equal(o.name, 'Renamed GmbH');
            assert.equal(o.portal_url, fields.portal_url);
            assert.deepEqual(o.admin_emails, fields.admin_emails);
            assert.deepEqual(o.license, fields.license);
            assert.deepEqual(o.retention, fields.retention);
            assert.equal(o.slug, rec.org.slug);
            assert.equal(o.created_at, rec.org.created_at);
        }
        rec.org = g.json;
    });

    for (const [field, value] of [
        ['id', 'x'], ['type', 'provider'], ['parent_id', null], ['slug', 'new-slug'], ['created_at', '2000-01-01T00:00:00Z'],
    ]) {
        test(`TEN-8 PATCH of read-only field ${field} -> 403 read_only_field`, async () => {
            // Same JSON type as the stored value, so only the read-only rule can refuse it.
            let v = value;
            if (field === 'id')
                v = typeof rec.org.id === 'number' ? rec.org.id + 1000 : `${rec.org.id}0`;
            else if (field === 'parent_id')
                v = srv.root.orgId;
            else if (field === 'created_at' && typeof rec.org.created_at === 'number')
                v = 946684800;
            const r = await srv.request('PATCH', `/api/v1/orgs/${rec.org.id}`,
                { token: prov.token, body: { [field]: v, name: 'Should Not Stick' } });
            assertError(r, 403, 'read_only_field');
            assert.match(r.json.message, new RegExp(field));
            const g = await srv.request('GET', `/api/v1/orgs/${rec.org.id}`, { token: prov.token });
            assert.deepEqual(g.json, rec.org, 'nothing changed');
        });
    }

    test('TEN-8 own-org admin edits name, portal_url and admin_emails of own org', async () => {
        const body = { name: 'Self Named', portal_url: 'https://self.example.com', admin_emails: ['self@example.com'] };
        const r = await srv.request('PATCH', `/api/v1/orgs/${rec.org.id}`, { token: rec.token, body });
        assertStatus(r, 200);
        const g = await srv.request('GET', `/api/v1/orgs/${rec.org.id}`, { token: prov.token });
        assert.equal(g.json.name, 'Self Named');
        assert.equal(g.json.portal_url, 'https://self.example.com');
        assert.deepEqual(g.json.admin_emails, ['self@example.com']);
        rec.org = g.json;
    });

    test('TEN-5 own-org admin cannot change own license or retention (403)', async () => {
        for (const body of [
            { license: { ...rec.org.license, devices: 9999 } },
            { retention: { ...rec.org.retention, audit_days: 1 } },
            { name: 'Sneaky', license: { ...rec.org.license, storage_mb: 999999 } },
        ]) {
            const r = await srv.request('PATCH', `/api/v1/orgs/${rec.org.id}`, { token: rec.token, body });
            assertStatus(r, 403, `PATCH ${Object.keys(body).join(',')}`);
            assert.ok(['forbidden', 'read_only_field'].includes(r.json.error), r.text);
        }
        const g = await srv.request('GET', `/api/v1/orgs/${rec.org.id}`, { token: prov.token });
        assert.deepEqual(g.json, rec.org, 'nothing changed');
    });

    test('TEN-8 invalid field values are refused with 400 and change nothing', async () => {
        for (const body of [
            { admin_emails: 'not-a-list' },
            { license: { devices: -1, ocr_pages_per_month: 0, storage_mb: 0, features: [] } },
            { license: { devices: 'many' } },
            { retention: { print_jobs_days: 'x' } },
            { name: '' },
        ]) {
            const r = await srv.request('PATCH', `/api/v1/orgs/${rec.org.id}`, { token: prov.token, body });
            assertError(r, 400, ['invalid_request', 'invalid_name'], JSON.stringify(body));
        }
        const g = await srv.request('GET', `/api/v1/orgs/${rec.org.id}`, { token: prov.token });
        assert.deepEqual(g.json, rec.org, 'nothing changed');
    });
});
