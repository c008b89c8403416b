// SPDX-License-Identifier: Apache-2.0
// TEN-5, TEN-8: licenses that bind. A provider grants its children at most its own license
// (summed per limit, features as a subset), cannot change its own, and the limits are spent
// where they are used: devices, users, storage (print and scan uploads), features (print,
// scan). Every refusal names the limit and the figures.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    startServer, assertStatus, assertError, createOrg, createUser, tokenOf, uniq,
} from './lib/server.js';
import { pdfDoc, text } from './lib/pdf.js';

let srv;
let root;   // the root admin's token
let dealer; // {org, admin, token}: a provider child of root ("Dealer A")
let cA;     // customer of the dealer
let cB;     // customer of the dealer

const ALL = ['api_keys', 'connectors', 'federation', 'print', 'scan'];
const MIB = 1024 * 1024;

before(async () => {
    srv = await startServer();
    root = await srv.rootToken();
});

after(async () => {
    if (srv)
        await srv.stop();
});

/** A minimal IPP Print-Job request (operation attributes, then the document). */
function ippPrintJob(doc) {
    const attr = (tag, name, value) => {
        const h = Buffer.alloc(3);
        h[0] = tag;
        h.writeUInt16BE(name.length, 1);
        const l = Buffer.alloc(2);
        l.writeUInt16BE(Buffer.byteLength(value));
        return Buffer.concat([h, Buffer.from(name), l, Buffer.from(value)]);
    };
    return Buffer.concat([Buffer.from([2, 0, 0, 2, 0, 0, 0, 7, 0x01]),
        attr(0x47, 'attributes-charset', 'utf-8'), attr(0x48, 'attributes-natural-language', 'en'),
        attr(0x45, 'printer-uri', `ipps://localhost:${srv.port}/ipp/print`),
        attr(0x49, 'document-format', 'application/pdf'), Buffer.from([0x03]), doc]);
}

const patchOrg = (token, id, body) => srv.request('PATCH', `/api/v1/orgs/${id}`, { token, body });
const sorted = (a) => [...a].sort();
const submit = (token, body) => srv.request('POST', '/api/v1/jobs?name=doc.pdf',
    { token, rawBody: body, headers: { 'Content-Type': 'application/pdf' } });

describe('TEN-5 defaults', () => {
    test('TEN-5 the root provider is unlimited with every feature', async () => {
        const r = await srv.request('GET', `/api/v1/orgs/${srv.root.orgId}`, { token: root });
        assertStatus(r, 200);
        const l = r.json.license;
        assert.equal(l.devices, null);
        assert.equal(l.ocr_pages_per_month, null);
        assert.equal(l.storage_mb, null);
        assert.equal(l.users, null);
        assert.deepEqual(sorted(l.features), ALL);
    });

    test('TEN-5 a new provider under root is unlimited with print and scan; a customer has 0 devices and OCR pages', async () => {
        dealer = await createOrg(srv, root, { parentId: srv.root.orgId, type: 'provider', name: 'Dealer A' });
        assert.deepEqual(dealer.org.license,
            { devices: null, ocr_pages_per_month: null, storage_mb: null, users: null, features: ['print', 'scan'] });
        const c = await createOrg(srv, dealer.token, { parentId: dealer.org.id, type: 'customer', admin: false });
        assert.deepEqual(c.org.license,
            { devices: 0, ocr_pages_per_month: 0, storage_mb: null, users: null, features: ['print', 'scan'] });
        assertStatus(await srv.request('DELETE', `/api/v1/orgs/${c.org.id}`, { token: dealer.token }), 204);
    });

    test('TEN-5 unlimited means no limit where spent: devices and the OCR allowance', async () => {
        const d = await srv.request('POST', `/api/v1/orgs/${dealer.org.id}/devices`,
            { token: dealer.token, body: { serial: `UNL-${uniq()}` } });
        assertStatus(d, 201, 'an unlimited license registers devices');
        const u = await srv.request('GET', `/api/v1/orgs/${dealer.org.id}/usage`, { token: dealer.token });
        assertStatus(u, 200);
        assert.equal(u.json.ocr_pages_per_month, null, 'unlimited OCR pages');
        assertStatus(await srv.request('DELETE', `/api/v1/devices/${d.json.id}`, { token: dealer.token }), 204);
    });
});

describe('TEN-5 licenses bind', () => {
    test('TEN-5 root licenses the dealer; the dealer cannot change its own license', async () => {
        const lic = { devices: 10, ocr_pages_per_month: 1000, storage_mb: 100, users: 20, features: ['print', 'scan', 'api_keys'] };
        const r = await patchOrg(root, dealer.org.id, { license: lic });
        assertStatus(r, 200);
        assert.deepEqual(r.json.license, lic);
        const own = await patchOrg(dealer.token, dealer.org.id, { license: { devices: 11 } });
        assertError(own, 403, 'forbidden');
        assert.match(own.json.message, /parent/);
    });

    test('TEN-5 the children of a dealer hold at most its license, per limit', async () => {
        cA = await createOrg(srv, dealer.token, { parentId: dealer.org.id, type: 'customer', name: 'Customer A',
            extra: { license: { devices: 6, ocr_pages_per_month: 600, storage_mb: 1, users: 3 } } });
        // 6 of 10 devices are granted: 5 more do not fit, and nothing is created.
        const slug = `cust-${uniq()}`;
        const over = await srv.request('POST', '/api/v1/orgs', { token: dealer.token,
            body: { parent_id: dealer.org.id, type: 'customer', name: 'Too big', slug, license: { devices: 5 } } });
        assertError(over, 409, 'license_exceeded');
        assert.equal(over.json.message, 'devices: the children of Dealer A hold 6 of 10; asked 5');
        const list = await srv.request('GET', '/api/v1/orgs', { token: dealer.token });
        assert.ok(!list.json.items.some((o) => o.slug === slug), 'nothing created');
        // Unlimited is not something a limited dealer can give.
        const unl = await srv.request('POST', '/api/v1/orgs', { token: dealer.token,
            body: { parent_id: dealer.org.id, type: 'customer', name: 'Unlimited', slug, license: { devices: 4, storage_mb: null } } });
        assertError(unl, 409, 'license_exceeded');
        assert.match(unl.json.message, /^storage_mb: the license of Dealer A allows 100/);
        // The default under a limited dealer: 0 where not given (users 0 leaves no room for an admin).
        const noUsers = await srv.request('POST', '/api/v1/orgs', { token: dealer.token,
            body: { parent_id: dealer.org.id, type: 'customer', name: 'No users', slug, admin: { username: 'first' } } });
        assertError(noUsers, 409, 'license_exceeded');
        assert.match(noUsers.json.message, /^users: the license allows 0 users and the organization has 0/);
        cB = await createOrg(srv, dealer.token, { parentId: dealer.org.id, type: 'customer', name: 'Customer B',
            extra: { license: { devices: 4, ocr_pages_per_month: 400, storage_mb: 99, users: 17, features: ['print', 'scan'] } } });
        assert.deepEqual(cB.org.license,
            { devices: 4, ocr_pages_per_month: 400, storage_mb: 99, users: 17, features: ['print', 'scan'] });
    });

    test('TEN-5 a dealer licensed for 10 devices cannot set a customer to 1,000', async () => {
        const r = await patchOrg(dealer.token, cB.org.id, { license: { devices: 1000 } });
        assertError(r, 409, 'license_exceeded');
        // Customer A holds 6, so the others hold 6 of 10.
        assert.equal(r.json.message, 'devices: the other children of Dealer A hold 6 of 10; asked 1000');
        const ocr = await patchOrg(dealer.token, cB.org.id, { license: { ocr_pages_per_month: 401 } });
        assertError(ocr, 409, 'license_exceeded');
        assert.equal(ocr.json.message, 'ocr_pages_per_month: the other children of Dealer A hold 600 of 1000; asked 401');
        const g = await srv.request('GET', `/api/v1/orgs/${cB.org.id}`, { token: dealer.token });
        assert.equal(g.json.license.devices, 4, 'unchanged');
        assert.equal(g.json.license.ocr_pages_per_month, 400, 'unchanged');
        // What fits exactly is accepted.
        assertStatus(await patchOrg(dealer.token, cB.org.id, { license: { ocr_pages_per_month: 400 } }), 200);
    });

    test('TEN-5 features pass down as a subset of the dealer\'s', async () => {
        const r = await patchOrg(dealer.token, cB.org.id, { license: { features: ['print', 'federation'] } });
        assertError(r, 409, 'license_exceeded');
        assert.equal(r.json.message, 'features: the license of Dealer A does not include federation; it may grant print, scan, api_keys');
        const bad = await patchOrg(dealer.token, cB.org.id, { license: { features: ['print', 'fax'] } });
        assertError(bad, 400, 'invalid_request');
        assert.match(bad.json.message, /'fax' is unknown/);
        assertStatus(await patchOrg(dealer.token, cB.org.id, { license: { features: ['print', 'api_keys'] } }), 200);
    });

    test('TEN-5 a license below what the customer uses is refused', async () => {
        for (const serial of ['LIC-1', 'LIC-2'])
            assertStatus(await srv.request('POST', `/api/v1/orgs/${cA.org.id}/devices`,
                { token: cA.token, body: { serial: `${serial}-${uniq()}` } }), 201);
        const r = await patchOrg(dealer.token, cA.org.id, { license: { devices: 1 } });
        assertError(r, 409, 'license_below_use');
        assert.equal(r.json.message, 'devices: Customer A has 2; asked 1: remove some first');
        assertStatus(await patchOrg(dealer.token, cA.org.id, { license: { devices: 2 } }), 200);
    });

    test('TEN-5 a provider lowers what it holds only down to what its children hold', async () => {
        const r = await patchOrg(root, dealer.org.id, { license: { devices: 5 } });
        assertError(r, 409, 'license_below_use');
        // Customer A now holds 2 and Customer B 4.
        assert.equal(r.json.message, 'devices: the children of Dealer A hold 6; asked 5: lower theirs first');
    });
});

describe('TEN-5 limits spent where used', () => {
    let alice; // a customer user of Customer A
    let bob;   // a customer user of Customer B

    test('TEN-5 users: the license\'s number of users, then a clear 409', async () => {
        // Customer A has its admin; its license allows 3.
        alice = await createUser(srv, cA.token, cA.org, { role: 'customer_user' });
        await createUser(srv, cA.token, cA.org, { role: 'customer_user' });
        const username = `u.${uniq()}`;
        const r = await srv.request('POST', `/api/v1/orgs/${cA.org.id}/users`,
            { token: cA.token, body: { username, role: 'customer_user', password: 'Correct-Horse-9-Battery' } });
        assertError(r, 409, 'license_exceeded');
        assert.equal(r.json.message, 'users: the license allows 3 users and the organization has 3; delete one or ask your provider to raise it');
        const list = await srv.request('GET', `/api/v1/orgs/${cA.org.id}/users`, { token: cA.token });
        assert.equal(list.json.items.length, 3);
        assert.ok(!list.json.items.some((u) => u.username === username), 'nothing created');
    });

    test('TEN-5 storage: print uploads stop at the quota, with the figures', async () => {
        // Customer A's license: 1 MiB of storage.
        const t = await tokenOf(srv, alice);
        const first = pdfDoc({ contents: [text('first')], size: 600 * 1024 });
        const ok = await submit(t, first);
        assertStatus(ok, 201);
        const second = pdfDoc({ contents: [text('second')], size: 600 * 1024 });
        const r = await submit(t, second);
        assertError(r, 409, 'storage_exceeded');
        assert.equal(r.json.message, `storage: the license allows 1 MiB (${MIB} bytes) and ${first.length} bytes are ` +
            `stored; this document needs ${second.length} more; delete jobs or scans, or ask your provider to raise it`);
        const jobs = await srv.request('GET', '/api/v1/jobs', { token: t });
        assert.equal(jobs.json.items.length, 1, 'the refused job is not stored');
        // Deleting the job frees its place.
        assertStatus(await srv.request('DELETE', `/api/v1/jobs/${ok.json.id}`, { token: t }), 204);
        assertStatus(await submit(t, second), 201);
    });

    test('TEN-5 storage: a license below the bytes stored is refused', async () => {
        const r = await patchOrg(dealer.token, cA.org.id, { license: { storage_mb: 0 } });
        assertError(r, 409, 'license_below_use');
        assert.match(r.json.message, /^storage_mb: Customer A stores \d+ bytes \(1 MiB rounded up\); asked 0$/);
    });

    test('TEN-5 feature print off: print jobs are refused with 403 naming the feature', async () => {
        bob = await createUser(srv, cB.token, cB.org, { role: 'customer_user' });
        assertStatus(await patchOrg(dealer.token, cB.org.id, { license: { features: ['scan'] } }), 200);
        const t = await tokenOf(srv, bob);
        const r = await submit(t, pdfDoc({ contents: [text('nope')] }));
        assertError(r, 403, 'feature_disabled');
        assert.equal(r.json.message, "the organization's license does not include the feature 'print'; ask your provider to enable it");
        // The IPP queue refuses the same: client-error-not-authorized (0x0403), the reason in
        // status-message.
        const ipp = await srv.request('POST', '/ipp/print', { rawBody: ippPrintJob(pdfDoc({ contents: [text('ipp')] })),
            headers: { 'Content-Type': 'application/ipp', Authorization: `Bearer ${t}` } });
        assertStatus(ipp, 200);
        assert.equal(ipp.raw.readUInt16BE(2), 0x0403);
        assert.ok(ipp.raw.includes("does not include the feature 'print'"), 'status-message names the feature');
        assertStatus(await patchOrg(dealer.token, cB.org.id, { license: { features: ['print'] } }), 200);
        assertStatus(await submit(t, pdfDoc({ contents: [text('yes')] })), 201);
    });

    test('TEN-5 feature scan off: scans at the panel are refused with 403 naming the feature', async () => {
        // Customer B's features are now print only.
        const d = await srv.request('POST', `/api/v1/orgs/${cB.org.id}/devices`, { token: cB.token, body: { serial: `SCN-${uniq()}` } });
        assertStatus(d, 201);
        const dt = await srv.request('POST', '/oauth/token', {
            rawBody: 'grant_type=client_credentials',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded',
                Authorization: 'Basic ' + Buffer.from(`${d.json.client_id}:${d.json.client_secret}`).toString('base64') } });
        assertStatus(dt, 200, 'device token');
        const login = await srv.request('POST', '/api/v1/device/login',
            { token: dt.json.access_token, body: { method: 'password', username: bob.username, password: bob.password } });
        assertStatus(login, 200, 'panel login');
        const r = await srv.request('POST', '/api/v1/scans',
            { token: login.json.access_token, body: { workflow_id: '0'.repeat(32) } });
        assertError(r, 403, 'feature_disabled');
        assert.equal(r.json.message, "the organization's license does not include the feature 'scan'; ask your provider to enable it");
    });
});

describe('TEN-5 a new customer\'s defaults are usable', () => {
    test('TEN-5 an OCR workflow while the OCR allowance is 0 is created with a warning, shown in the list too', async () => {
        assertStatus(await patchOrg(dealer.token, cA.org.id, { license: { ocr_pages_per_month: 0 } }), 200);
        const wf = (body) => srv.request('POST', `/api/v1/orgs/${cA.org.id}/workflows`, { token: cA.token, body });
        const ocr = await wf({ name: 'With OCR', format: 'pdf', steps: { ocr: true } });
        assertStatus(ocr, 201);
        assert.equal(ocr.json.warning, "OCR is on, but the organization's license allows 0 OCR pages per month: scans " +
            'with this workflow will be refused until your provider raises license.ocr_pages_per_month, or turn OCR off');
        const plain = await wf({ name: 'Without OCR', format: 'pdf', steps: { ocr: false } });
        assertStatus(plain, 201);
        assert.equal(plain.json.warning, undefined, 'no warning without OCR');
        const list = await srv.request('GET', `/api/v1/orgs/${cA.org.id}/workflows`, { token: cA.token });
        assertStatus(list, 200);
        const byName = Object.fromEntries(list.json.items.map((w) => [w.name, w]));
        assert.equal(byName['With OCR'].warning, ocr.json.warning);
        assert.equal(byName['Without OCR'].warning, undefined);
        // Once the provider grants OCR pages, the warning is gone.
        assertStatus(await patchOrg(dealer.token, cA.org.id, { license: { ocr_pages_per_month: 10 } }), 200);
        const g = await srv.request('GET', `/api/v1/workflows/${ocr.json.id}`, { token: cA.token });
        assertStatus(g, 200);
        assert.equal(g.json.warning, undefined);
    });
});

describe('TEN-8 TEN-2 the organization record', () => {
    test('TEN-2 the representative\'s contact is set, validated, and read by the org and its parent only', async () => {
        const rep = { name: 'Maria Rossi', email: 'maria.rossi@example.com', phone: '+39 06 1234 5678' };
        const r = await patchOrg(dealer.token, cA.org.id, { representative: rep });
        assertStatus(r, 200);
        assert.deepEqual(r.json.representative, rep);
        // The org's own admin reads (and may change) it too.
        const own = await srv.request('GET', `/api/v1/orgs/${cA.org.id}`, { token: cA.token });
        assert.deepEqual(own.json.representative, rep);
        const phone = await patchOrg(cA.token, cA.org.id, { representative: { phone: '+39 06 7654 3210' } });
        assertStatus(phone, 200);
        assert.deepEqual(phone.json.representative, { ...rep, phone: '+39 06 7654 3210' }, 'fields left out stay');
        // The root provider sees the customer in its tree, but not its representative.
        const deeper = await srv.request('GET', `/api/v1/orgs/${cA.org.id}`, { token: root });
        assertStatus(deeper, 200);
        assert.equal(deeper.json.representative, undefined, 'TEN-2 only the parent reads the contact');
        const dealerOwn = await srv.request('GET', `/api/v1/orgs/${dealer.org.id}`, { token: root });
        assert.ok(dealerOwn.json.representative, 'the root is the dealer\'s parent');
        for (const [bad, re] of [
            [{ email: 'not-an-email' }, /representative.email must be an email address/],
            [{ phone: 'call me' }, /representative.phone must be at most 32 of digits/],
            [{ fax: '1' }, /fax/],
        ]) {
            const x = await patchOrg(dealer.token, cA.org.id, { representative: bad });
            assertError(x, 400, 'invalid_request');
            assert.match(x.json.message, re);
        }
        const g = await srv.request('GET', `/api/v1/orgs/${cA.org.id}`, { token: dealer.token });
        assert.deepEqual(g.json.representative, { ...rep, phone: '+39 06 7654 3210' }, 'bad input changes nothing');
    });

    test('TEN-8 audit retention is applied by the sweeper as the clock moves', async () => {
        // Customer B keeps its audit log 2 days; Customer A the default 365.
        assertStatus(await patchOrg(dealer.token, cB.org.id, { retention: { audit_days: 2 } }), 200);
        const log = async (org, token) => {
            const a = await srv.request('GET', `/api/v1/orgs/${org.id}/audit?limit=1000`, { token });
            assertStatus(a, 200);
            return a.json.items;
        };
        const before = await log(cB.org, cB.token);
        assert.ok(before.length >= 3, 'Customer B has audit entries');
        const beforeA = await log(cA.org, cA.token);
        let tA;
        await srv.advanceClock(86400 + 3600);
        // A change one day later (by a fresh login: tokens live 15 minutes) stays when the
        // older entries expire.
        let tB = await tokenOf(srv, cB.admin);
        const renamed = await patchOrg(tB, cB.org.id, { name: 'Customer B renamed' });
        assertStatus(renamed, 200);
        const mid = await log(cB.org, tB);
        assert.ok(before.every((e) => mid.some((m) => m.id === e.id)), 'nothing expired after 1 day');
        const now = await srv.advanceClock(86400);
        tB = await tokenOf(srv, cB.admin);
        const after = await log(cB.org, tB);
        assert.ok(!after.some((e) => before.some((b) => b.id === e.id)), 'the entries older than 2 days are gone');
        assert.ok(after.some((e) => e.action === 'org_updated' && e.target_id === cB.org.id), 'the newer change stays');
        assert.ok(after.every((e) => e.time >= now - 2 * 86400), 'every entry left is within 2 days');
        tA = await tokenOf(srv, cA.admin);
        const afterA = await log(cA.org, tA);
        assert.ok(afterA.length >= beforeA.length, 'Customer A (365 days) keeps its entries');
    });
});
