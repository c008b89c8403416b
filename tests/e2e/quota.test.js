// SPDX-License-Identifier: Apache-2.0
// PRN-3, PRN-4, DEV-2, TEN-3: releasing a held job at a device's panel, the device's report,
// monthly page quotas (set by a customer admin or print manager only; counted per calendar
// month in the org's time zone) and the org's print policies (force mono, force duplex, max
// pages per job).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, assertStatus, assertError, createOrgTree, createUser, tokenOf } from './lib/server.js';
import { makePdf } from './lib/pdf.js';

let srv;
let tree;
const devices = [];
let bobUser;

before(async () => {
    srv = await startServer();
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user', 'print_manager', 'guest_user'] }],
        ['cB', { parent: 'pA', type: 'customer', users: ['print_manager'] }],
    ]);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, { token: tree.pA.token, body: { license: { devices: 2 } } }), 200);
    bobUser = await createUser(srv, tree.cA.token, tree.cA.org, { role: 'customer_user' });
    for (const serial of ['REL-1', 'REL-2']) {
        const d = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.cA.token, body: { serial } });
        assertStatus(d, 201);
        devices.push(d.json);
    }
});

after(async () => {
    if (srv)
        await srv.stop();
});

const users = () => tree.cA.users;
const alice = () => tree.cA.users.customer_user;
const bob = () => bobUser;

/** Logs user in at device i's panel by password; returns the panel token. */
async function panelLogin(user, i = 0) {
    const d = devices[i];
    const t = await srv.request('POST', '/oauth/token', {
        rawBody: 'grant_type=client_credentials',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: 'Basic ' + Buffer.from(`${d.client_id}:${d.client_secret}`).toString('base64') } });
    assertStatus(t, 200, 'device token');
    const r = await srv.request('POST', '/api/v1/device/login',
        { token: t.json.access_token, body: { method: 'password', username: user.username, password: user.password } });
    assertStatus(r, 200, 'panel login');
    return r.json.access_token;
}

async function submit(user, { pages = 1, color = false, copies = 1, duplex = false } = {}) {
    const r = await srv.request('POST', `/api/v1/jobs?name=doc.pdf&copies=${copies}&color=${color}&duplex=${duplex}`,
        { token: await tokenOf(srv, user), rawBody: makePdf({ pages, color }), headers: { 'Content-Type': 'application/pdf' } });
    assertStatus(r, 201, 'submit');
    return r.json;
}

const release = (panel, id) => srv.request('POST', `/api/v1/jobs/${id}/release`, { token: panel });
const report = (panel, id, body) => srv.request('POST', `/api/v1/jobs/${id}/result`, { token: panel, body });
const printed = (p) => ({ status: 'printed', pages: p.pages, copies: p.copies, color: p.color, duplex: p.duplex });

describe('release at the panel', () => {
    test('PRN-3 DEV-2 release, download, report: the job is printed, logged and its document deleted', async () => {
        const job = await submit(alice(), { pages: 3, color: true, copies: 2, duplex: true });
        assert.equal(job.pages, 3, 'pages come from the document');
        assert.equal(job.status, 'held');
        const panel = await panelLogin(alice());
        const list = await srv.request('GET', '/api/v1/jobs', { token: panel });
        assert.ok(list.json.items.some((j) => j.id === job.id), 'the panel lists the user\'s held jobs');
        const r = await release(panel, job.id);
        assertStatus(r, 200, 'release');
        assert.equal(r.json.status, 'released');
        assert.equal(r.json.device_id, devices[0].id);
        assert.deepEqual(r.json.print, { pages: 3, copies: 2, color: true, duplex: true });
        const doc = await srv.request('GET', `/api/v1/jobs/${job.id}/document`, { token: panel });
        assertStatus(doc, 200, 'download');
        assert.ok(doc.raw.equals(makePdf({ pages: 3, color: true })), 'the device receives exactly the document');
        assertError(await release(panel, job.id), 409, 'not_held', 'released twice');
        const done = await report(panel, job.id, printed(r.json.print));
        assertStatus(done, 200, 'report');
        assert.equal(done.json.status, 'printed');
        assert.ok(!fs.existsSync(path.join(srv.dataDir, 'blobs', tree.cA.org.id, job.id)), 'the document left the spool');
        assertStatus(await srv.request('GET', `/api/v1/jobs/${job.id}/document`, { token: panel }), 404, 'nothing left to download');
        const log = await srv.request('GET', '/api/v1/me/log', { token: await tokenOf(srv, alice()) });
        const entry = log.json.items[0];
        assert.deepEqual([entry.type, entry.pages, entry.copies, entry.color, entry.duplex, entry.device_id],
            ['print', 3, 2, true, true, devices[0].id]);
        const q = await srv.request('GET', '/api/v1/me/quota', { token: await tokenOf(srv, alice()) });
        assert.equal(q.json.used, 6, '3 pages x 2 copies counted');
        assertError(await report(panel, job.id, printed(r.json.print)), 409, 'not_released', 'reported twice');
    });

    test('PRN-3 only at a panel, only own jobs, only the releasing device reports', async () => {
        const job = await submit(alice());
        assertError(await release(await tokenOf(srv, alice()), job.id), 403, 'panel_only', 'a portal token cannot release');
        assertStatus(await release(await panelLogin(bob()), job.id), 404, 'another user at the panel');
        assertStatus(await release(await panelLogin(alice()), 'nosuchjob'), 400, 'malformed id');
        assertStatus(await release(await panelLogin(alice()), '0'.repeat(32)), 404, 'unknown id');
        const panel = await panelLogin(alice());
        assertStatus(await release(panel, job.id), 200);
        const other = await panelLogin(alice(), 1);
        assertError(await report(other, job.id, { status: 'printed', pages: 1, copies: 1, color: false, duplex: false }), 409, 'not_released', 'another device');
        assertStatus(await report(panel, job.id, { status: 'done', pages: 1, copies: 1, color: false, duplex: false }), 400, 'bad status');
        assertStatus(await report(panel, job.id, { status: 'printed', pages: -1, copies: 1, color: false, duplex: false }), 400, 'bad pages');
        assertStatus(await report(panel, job.id, { status: 'printed', pages: 1, copies: 1, color: false, duplex: false, extra: 1 }), 400, 'unknown field');
        assert.equal((await srv.request('GET', `/api/v1/jobs/${job.id}`, { token: panel })).json.status, 'released', 'bad reports change nothing');
    });

    test('PRN-4 a failed print goes back on hold with its reason and its pages refunded', async () => {
        const user = bob();
        const job = await submit(user, { pages: 2 });
        const panel = await panelLogin(user);
        const before = (await srv.request('GET', '/api/v1/me/quota', { token: panel })).json.used;
        assertStatus(await release(panel, job.id), 200);
        assert.equal((await srv.request('GET', '/api/v1/me/quota', { token: panel })).json.used, before + 2, 'charged at release');
        const r = await report(panel, job.id, { status: 'failed', pages: 0, copies: 1, color: false, duplex: false, reason: 'paper jam' });
        assertStatus(r, 200);
        assert.equal(r.json.status, 'held');
        assert.equal(r.json.reason, 'paper jam');
        assert.equal((await srv.request('GET', '/api/v1/me/quota', { token: panel })).json.used, before, 'refunded');
        assertStatus(await release(await panelLogin(user, 1), job.id), 200, 'released again at another printer');
    });

    test('PRN-3 a released job that is never reported returns to hold after an hour', async () => {
        const user = users().guest_user;
        const job = await submit(user);
        assertStatus(await release(await panelLogin(user), job.id), 200);
        await srv.advanceClock(3601);
        const j = await srv.request('GET', `/api/v1/jobs/${job.id}`, { token: await tokenOf(srv, user) });
        assert.equal(j.json.status, 'held');
        assert.match(j.json.reason, /did not report/);
        tree.cA.token = await tokenOf(srv, tree.cA.admin);
        tree.pA.token = await tokenOf(srv, tree.pA.admin);
    });
});

describe('quotas and policies', () => {
    test('TEN-3 a print manager or customer admin sets quotas; nobody else does', async () => {
        const pm = await tokenOf(srv, users().print_manager);
        const target = users().guest_user;
        let r = await srv.request('PUT', `/api/v1/users/${target.id}/quota`, { token: pm, body: { monthly_pages: 40 } });
        assertStatus(r, 200, 'print manager sets');
        assert.equal(r.json.monthly_pages, 40);
        assertStatus(await srv.request('GET', `/api/v1/users/${target.id}`, { token: pm }), 404, 'but sees nothing else of the user');
        const list = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/quotas`, { token: pm });
        assertStatus(list, 200);
        assert.equal(list.json.items.find((q) => q.user_id === target.id).monthly_pages, 40);
        r = await srv.request('PUT', `/api/v1/users/${target.id}/quota`, { token: tree.cA.token, body: { monthly_pages: null } });
        assertStatus(r, 200, 'customer admin removes');
        assert.equal(r.json.monthly_pages, null);
        assert.equal(r.json.remaining, null);
        for (const [who, token] of [['customer user', await tokenOf(srv, alice())], ['provider admin', tree.pA.token],
            ['other org print manager', await tokenOf(srv, tree.cB.users.print_manager)]]) {
            assertStatus(await srv.request('PUT', `/api/v1/users/${target.id}/quota`, { token, body: { monthly_pages: 1 } }), 404, who);
            assertStatus(await srv.request('GET', `/api/v1/users/${target.id}/quota`, { token }), 404, who);
            assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/quotas`, { token }), 404, who);
        }
        for (const body of [{ monthly_pages: -1 }, { monthly_pages: 'ten' }, {}, { monthly_pages: 5, x: 1 }])
            assertStatus(await srv.request('PUT', `/api/v1/users/${target.id}/quota`, { token: pm, body }), 400, JSON.stringify(body));
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, { token: pm, body: { print_policy: { force_mono: true } } }), 403, 'policies are the admin\'s');
    });

    test('PRN-4 a release that would exceed the monthly quota is refused with the figures', async () => {
        const user = users().print_manager;
        const pm = await tokenOf(srv, user);
        assertStatus(await srv.request('PUT', `/api/v1/users/${user.id}/quota`, { token: pm, body: { monthly_pages: 5 } }), 200);
        const a = await submit(user, { pages: 2, copies: 2 });
        const b = await submit(user, { pages: 2 });
        const panel = await panelLogin(user);
        assertStatus(await release(panel, a.id), 200);
        const r = await release(panel, b.id);
        assertError(r, 409, 'quota_exceeded');
        assert.match(r.json.message, /needs 2 pages, but only 1 of your 5 pages/);
        assert.equal((await srv.request('GET', `/api/v1/jobs/${b.id}`, { token: panel })).json.status, 'held', 'still held');
        const q = (await srv.request('GET', '/api/v1/me/quota', { token: panel })).json;
        assert.deepEqual([q.monthly_pages, q.used, q.remaining], [5, 4, 1]);
    });

    test('PRN-4 two printers releasing at once cannot both spend the last pages', async () => {
        const user = bob();
        assertStatus(await srv.request('PUT', `/api/v1/users/${user.id}/quota`, { token: tree.cA.token, body: { monthly_pages: 0 } }), 200);
        const used = (await srv.request('GET', `/api/v1/users/${user.id}/quota`, { token: tree.cA.token })).json.used;
        assertStatus(await srv.request('PUT', `/api/v1/users/${user.id}/quota`, { token: tree.cA.token, body: { monthly_pages: used + 3 } }), 200);
        const jobs = [];
        for (let i = 0; i < 6; i++)
            jobs.push(await submit(user));
        const panels = [await panelLogin(user, 0), await panelLogin(user, 1)];
        const results = await Promise.all(jobs.map((j, i) => release(panels[i % 2], j.id)));
        assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 200, 409, 409, 409]);
        const q = (await srv.request('GET', `/api/v1/users/${user.id}/quota`, { token: tree.cA.token })).json;
        assert.deepEqual([q.used, q.remaining], [used + 3, 0]);
    });

    test('PRN-4 force mono, force duplex and max pages per job', async () => {
        const org = `/api/v1/orgs/${tree.cA.org.id}`;
        const p = await srv.request('PATCH', org, { token: tree.cA.token, body: { print_policy: { force_mono: true, force_duplex: true, max_pages_per_job: 4 } } });
        assertStatus(p, 200);
        assert.deepEqual(p.json.print_policy, { force_mono: true, force_duplex: true, max_pages_per_job: 4 });
        assertStatus(await srv.request('PATCH', org, { token: tree.cA.token, body: { print_policy: { max_pages_per_job: -2 } } }), 400);
        assertStatus(await srv.request('PATCH', org, { token: tree.cA.token, body: { print_policy: { force_color: true } } }), 400);
        const user = alice();
        const ok = await submit(user, { pages: 2, color: true, copies: 2 });
        const big = await submit(user, { pages: 5 });
        const panel = await panelLogin(user);
        const r = await release(panel, ok.id);
        assertStatus(r, 200);
        assert.deepEqual(r.json.print, { pages: 2, copies: 2, color: false, duplex: true }, 'printed mono and two-sided');
        const refused = await release(panel, big.id);
        assertError(refused, 409, 'policy_max_pages');
        assert.match(refused.json.message, /at most 4 pages per job/);
        assertStatus(await srv.request('PATCH', org, { token: tree.cA.token, body: { print_policy: { force_mono: false, force_duplex: false, max_pages_per_job: 0 } } }), 200);
    });

    test('PRN-4 quotas start again on the first of the month in the org\'s time zone', async () => {
        const org = `/api/v1/orgs/${tree.cA.org.id}`;
        assertStatus(await srv.request('PATCH', org, { token: tree.cA.token, body: { time_zone: 'Mars/Olympus' } }), 400, 'unknown zone');
        const z = await srv.request('PATCH', org, { token: tree.cA.token, body: { time_zone: 'Pacific/Auckland' } });
        assertStatus(z, 200);
        assert.equal(z.json.time_zone, 'Pacific/Auckland');
        // The first second of next month in Auckland: still the old month in UTC.
        const monthIn = (t, timeZone) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).format(new Date(t * 1000));
        const now = await srv.clockNow();
        let t = now;
        while (monthIn(t, 'Pacific/Auckland') === monthIn(now, 'Pacific/Auckland'))
            t += 3600;
        while (monthIn(t - 1, 'Pacific/Auckland') !== monthIn(now, 'Pacific/Auckland'))
            t -= 1;
        assert.equal(monthIn(t, 'UTC'), monthIn(t - 1, 'UTC'), 'the boundary is not one in UTC');
        await srv.advanceClock(t - 120 - now);
        const user = users().guest_user;
        tree.cA.token = await tokenOf(srv, tree.cA.admin);
        assertStatus(await srv.request('PUT', `/api/v1/users/${user.id}/quota`, { token: tree.cA.token, body: { monthly_pages: 1 } }), 200);
        const first = await submit(user);
        const second = await submit(user);
        let panel = await panelLogin(user);
        const before = (await srv.request('GET', '/api/v1/me/quota', { token: panel })).json;
        assert.equal(before.month, monthIn(t - 1, 'Pacific/Auckland').replace('/', '-'));
        if (before.used < 1)
            assertStatus(await release(panel, first.id), 200);
        assertError(await release(panel, second.id), 409, 'quota_exceeded', 'two minutes before midnight in Auckland');
        await srv.advanceClock(180);
        panel = await panelLogin(user);
        const after = (await srv.request('GET', '/api/v1/me/quota', { token: panel })).json;
        assert.equal(after.month, monthIn(t, 'Pacific/Auckland').replace('/', '-'));
        assert.equal(after.used, 0, 'a new month');
        assertStatus(await release(panel, second.id), 200, 'allowed in the new month');
        tree.pA.token = await tokenOf(srv, tree.pA.admin);
    });
});
