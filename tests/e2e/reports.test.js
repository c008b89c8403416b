// SPDX-License-Identifier: Apache-2.0
// REP-1, REP-2, REP-3, TEN-3, TEN-4, CAP-5: the usage ledger end to end. A three-level tree
// (root -> dealer -> two customers in two time zones, and a sub-dealer with a customer);
// prints released through the API at a device (colour and black-only PDFs), copies and scans
// from the device log, in two months (the test clock moves). Every expected figure is tallied
// here from what the test sent; parents never see a deeper org's name or id; a late device log
// for a closed month is booked to the open month and flagged; closed months never change.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus, assertError, createOrgTree, createUser, tokenOf } from './lib/server.js';
import { makePdf } from './lib/pdf.js';
import { csvObjects } from './lib/csv.js';

let srv;
let tree;
const dev = {};      // key -> {device, token}
const people = {};   // key -> user
let group;           // C1's group with alice in it
let month1;          // "YYYY-MM" of the first month (UTC and both zones agree: checked)
let month2;

// ---- the expected figures, tallied from what was sent -----------------------------------------

const tally = {};    // org key -> month -> {users: {id: f}, devices: {id: f}, total: f, late: [...]}
const zero = () => ({ print_pages: 0, print_mono_pages: 0, print_color_pages: 0, print_simplex_pages: 0,
    print_duplex_pages: 0, print_jobs: 0, copy_pages: 0, scan_pages: 0 });
function slot(org, month) {
    tally[org] ??= {};
    tally[org][month] ??= { users: {}, devices: {}, total: zero(), late: {}, activeUsers: new Set(),
        activeDevices: new Set(), lateEntries: 0, latePages: 0 };
    return tally[org][month];
}
function add(f, { type, pages, copies = 1, color = false, duplex = false }) {
    const n = pages * copies;
    if (type === 'print') {
        f.print_jobs += 1;
        f.print_pages += n;
        f[color ? 'print_color_pages' : 'print_mono_pages'] += n;
        f[duplex ? 'print_duplex_pages' : 'print_simplex_pages'] += n;
    } else {
        f[`${type}_pages`] += n;
    }
}
/** Books an entry as the ledger should: to `month` (the open month), late if it belongs to an
 * earlier one. */
function expect(org, month, { user = null, device, late = null, ...e }) {
    const s = slot(org, month);
    add(s.total, e);
    add(s.users[user ?? ''] ??= zero(), e);
    add(s.devices[device] ??= zero(), e);
    if (user)
        s.activeUsers.add(user);
    s.activeDevices.add(device);
    if (late) {
        s.late[late] ??= { month: late, entries: 0, pages: 0 };
        s.late[late].entries += 1;
        s.late[late].pages += e.pages * (e.copies ?? 1);
        s.lateEntries += 1;
        s.latePages += e.pages * (e.copies ?? 1);
    }
}
/** The expected figures of an org's month in the form of /usage's "own" (ledger part). */
function ownOf(org, month) {
    const s = slot(org, month);
    return { ...s.total, active_users: s.activeUsers.size, active_devices: s.activeDevices.size,
        late_entries: s.lateEntries, late_pages: s.latePages };
}
function sum(...fs) {
    const out = {};
    for (const f of fs)
        for (const [k, v] of Object.entries(f))
            out[k] = (out[k] ?? 0) + v;
    return out;
}
const pick = (o, keys) => Object.fromEntries(keys.map((k) => [k, o[k]]));
const LEDGER_KEYS = Object.keys(ownOf('_', '_'));
const REPORT_KEYS = Object.keys(zero());

// ---- helpers ------------------------------------------------------------------------------------

async function deviceToken(d) {
    const t = await srv.request('POST', '/oauth/token', {
        rawBody: 'grant_type=client_credentials',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: 'Basic ' + Buffer.from(`${d.client_id}:${d.client_secret}`).toString('base64') } });
    assertStatus(t, 200, 'device token');
    return t.json.access_token;
}

async function register(orgKey, key, serial) {
    const d = await srv.request('POST', `/api/v1/orgs/${tree[orgKey].org.id}/devices`, { token: tree[orgKey].token, body: { serial } });
    assertStatus(d, 201, `register ${serial}`);
    dev[key] = { device: d.json, token: await deviceToken(d.json) };
}

/** A device reports an entry (DEV-2); books the expectation unless told otherwise. */
async function log(orgKey, devKey, { user = null, type, pages, copies = 1, color = false, duplex = false, time, late = null }) {
    const body = { type, pages, copies, color, duplex };
    if (user)
        body.user_id = people[user].id;
    if (time !== undefined)
        body.time = time;
    const r = await srv.request('POST', '/api/v1/device/log', { token: dev[devKey].token, body });
    assertStatus(r, 201, `device log ${JSON.stringify(body)}`);
    assert.equal(r.json.late, late !== null, 'the answer says whether the entry was late');
    return r.json;
}

/** Submits a PDF as user, releases it at device devKey's panel and reports it printed with
 * what the device claims (colour as asked). Returns the release answer. */
async function printViaRelease(userKey, devKey, { pages, copies = 1, docColor, askColor, duplex = false }) {
    const u = people[userKey];
    const s = await srv.request('POST', `/api/v1/jobs?name=doc.pdf&copies=${copies}&color=${askColor}&duplex=${duplex}`,
        { token: await tokenOf(srv, u), rawBody: makePdf({ pages, color: docColor }), headers: { 'Content-Type': 'application/pdf' } });
    assertStatus(s, 201, 'submit');
    const d = dev[devKey].device;
    const p = await srv.request('POST', '/api/v1/device/login',
        { token: dev[devKey].token, body: { method: 'password', username: u.username, password: u.password } });
    assertStatus(p, 200, 'panel login');
    const panel = p.json.access_token;
    const rel = await srv.request('POST', `/api/v1/jobs/${s.json.id}/release`, { token: panel });
    assertStatus(rel, 200, 'release');
    assert.equal(rel.json.device_id, d.id);
    const done = await srv.request('POST', `/api/v1/jobs/${s.json.id}/result`,
        { token: panel, body: { status: 'printed', pages, copies, color: askColor, duplex } });
    assertStatus(done, 200, 'printed');
    return rel.json;
}

const get = (token, url) => srv.request('GET', url, { token });
const orgUrl = (key, rest) => `/api/v1/orgs/${tree[key].org.id}/${rest}`;

/** Every string that names or identifies org key (id, slug, name). */
const marks = (key) => [tree[key].org.id, tree[key].org.slug, tree[key].org.name];
function assertAnonymous(text, keys, what) {
    for (const k of keys)
        for (const m of marks(k))
            assert.ok(!text.includes(m), `TEN-4 ${what}: a deeper org (${k}) appears as "${m}"`);
}

/** After the clock moved: fresh tokens for the admins and devices. */
async function refreshTokens() {
    tree.root.token = await srv.rootToken();
    for (const k of ['D', 'C1', 'C2', 'S', 'C3'])
        tree[k].token = await tokenOf(srv, tree[k].admin);
    for (const d of Object.values(dev))
        d.token = await deviceToken(d.device);
}

// ---- the tree -------------------------------------------------------------------------------------

before(async () => {
    srv = await startServer();
    // Keep away from a month's edges in every zone: move to the 10th, 12:00 UTC, if needed.
    const now = await srv.clockNow();
    const d = new Date(now * 1000);
    const target = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 10, 12) / 1000;
    if (d.getUTCDate() < 3 || d.getUTCDate() > 26)
        await srv.advanceClock(target > now ? target - now : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 10, 12) / 1000 - now);
    tree = await createOrgTree(srv, [
        ['D', { type: 'provider' }],
        ['C1', { parent: 'D', type: 'customer', users: ['customer_user', 'print_manager'] }],
        ['C2', { parent: 'D', type: 'customer', users: ['customer_user'] }],
        ['S', { parent: 'D', type: 'provider' }],
        ['C3', { parent: 'S', type: 'customer', users: ['customer_user'] }],
    ]);
    const lic = async (parent, child, devices) => assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree[child].org.id}`,
        { token: tree[parent].token, body: { license: { devices } } }), 200, `license of ${child}`);
    // TEN-5: limits are lowered from the leaves up (a parent may not go below its children).
    await lic('S', 'C3', 1);
    await lic('D', 'C1', 2);
    await lic('D', 'C2', 1);
    await lic('D', 'S', 2);
    await lic('root', 'D', 10);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.C1.org.id}`, { token: tree.C1.token, body: { time_zone: 'Europe/Berlin' } }), 200);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.C2.org.id}`, { token: tree.C2.token, body: { time_zone: 'America/New_York' } }), 200);
    people.alice = tree.C1.users.customer_user;
    people.bob = await createUser(srv, tree.C1.token, tree.C1.org, { role: 'customer_user' });
    people.carol = tree.C2.users.customer_user;
    people.dave = tree.C3.users.customer_user;
    const g = await srv.request('POST', orgUrl('C1', 'groups'), { token: tree.C1.token, body: { name: 'Sales' } });
    assertStatus(g, 201, 'group');
    group = g.json;
    assertStatus(await srv.request('PUT', `/api/v1/groups/${group.id}/members/${people.alice.id}`, { token: tree.C1.token }), 204, 'member');
    await register('C1', 'd1', 'C1-MFP-1');
    await register('C1', 'd2', 'C1-MFP-2');
    await register('C2', 'd3', 'C2-MFP-1');
    await register('C3', 'd4', 'C3-MFP-1');

    const t = new Date((await srv.clockNow()) * 1000);
    month1 = t.toISOString().slice(0, 7);
    month2 = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1)).toISOString().slice(0, 7);
});

after(async () => {
    if (srv)
        await srv.stop();
});

// ---- month 1 --------------------------------------------------------------------------------------

describe('usage ledger and reports', () => {
    test('PRN-3 colour is what the document holds: a black-only PDF sent in colour prints and logs mono', async () => {
        const color = await printViaRelease('alice', 'd1', { pages: 2, copies: 2, docColor: true, askColor: true, duplex: true });
        assert.equal(color.print.color, true, 'a colour document prints in colour');
        expect('C1', month1, { user: people.alice.id, device: dev.d1.device.id, type: 'print', pages: 2, copies: 2, color: true, duplex: true });
        const mono = await printViaRelease('alice', 'd1', { pages: 3, docColor: false, askColor: true });
        assert.equal(mono.print.color, false, 'a black-only document is released mono');
        expect('C1', month1, { user: people.alice.id, device: dev.d1.device.id, type: 'print', pages: 3, color: false });
        const log = await get(await tokenOf(srv, people.alice), '/api/v1/me/log');
        assert.deepEqual(log.json.items.map((e) => [e.pages, e.color]), [[3, false], [2, true]], 'logged mono and colour');
    });

    test('PRN-4 an org that forces mono logs (and books) a colour document mono', async () => {
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.C2.org.id}`,
            { token: tree.C2.token, body: { print_policy: { force_mono: true } } }), 200, 'force mono');
        const r = await printViaRelease('carol', 'd3', { pages: 2, docColor: true, askColor: true });
        assert.equal(r.print.color, false, 'released mono');
        expect('C2', month1, { user: people.carol.id, device: dev.d3.device.id, type: 'print', pages: 2, color: false });
        const log = await get(await tokenOf(srv, people.carol), '/api/v1/me/log');
        assert.equal(log.json.items[0].color, false, 'logged mono although the device said colour');
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.C2.org.id}`,
            { token: tree.C2.token, body: { print_policy: { force_mono: false } } }), 200);
    });

    test('DEV-2 copies and scans from the device log, walk-up copies, other orgs', async () => {
        await log('C1', 'd2', { user: 'bob', type: 'copy', pages: 5 });
        expect('C1', month1, { user: people.bob.id, device: dev.d2.device.id, type: 'copy', pages: 5 });
        await log('C1', 'd2', { user: 'bob', type: 'scan', pages: 4 });
        expect('C1', month1, { user: people.bob.id, device: dev.d2.device.id, type: 'scan', pages: 4 });
        await log('C1', 'd1', { type: 'copy', pages: 2, copies: 3 });
        expect('C1', month1, { device: dev.d1.device.id, type: 'copy', pages: 2, copies: 3 });
        await log('C1', 'd2', { user: 'alice', type: 'print', pages: 1, copies: 4, color: true, duplex: false });
        expect('C1', month1, { user: people.alice.id, device: dev.d2.device.id, type: 'print', pages: 1, copies: 4, color: true });
        await log('C2', 'd3', { user: 'carol', type: 'print', pages: 7, duplex: true });
        expect('C2', month1, { user: people.carol.id, device: dev.d3.device.id, type: 'print', pages: 7, duplex: true });
        await log('C2', 'd3', { user: 'carol', type: 'copy', pages: 3 });
        expect('C2', month1, { user: people.carol.id, device: dev.d3.device.id, type: 'copy', pages: 3 });
        await log('C3', 'd4', { user: 'dave', type: 'print', pages: 10, color: true });
        expect('C3', month1, { user: people.dave.id, device: dev.d4.device.id, type: 'print', pages: 10, color: true });
        await log('C3', 'd4', { user: 'dave', type: 'scan', pages: 6 });
        expect('C3', month1, { user: people.dave.id, device: dev.d4.device.id, type: 'scan', pages: 6 });
    });

    test('REP-1 the customer admin reads per-user, per-group and per-device reports with totals', async () => {
        const s = slot('C1', month1);
        const users = await get(tree.C1.token, orgUrl('C1', 'reports/users'));
        assertStatus(users, 200, 'users report');
        assert.equal(users.json.from, `${month1}-01`, 'default: this month');
        const byUser = Object.fromEntries(users.json.items.map((r) => [r.user_id ?? '', pick(r, REPORT_KEYS)]));
        assert.deepEqual(byUser, s.users);
        assert.equal(users.json.items.find((r) => r.user_id === people.alice.id).username, people.alice.username);
        assert.equal(users.json.items.find((r) => r.user_id === null).username, null, 'walk-up copies have no user');
        assert.deepEqual(pick(users.json.totals, REPORT_KEYS), s.total);

        const devices = await get(tree.C1.token, orgUrl('C1', 'reports/devices'));
        assertStatus(devices, 200);
        assert.deepEqual(Object.fromEntries(devices.json.items.map((r) => [r.device_id, pick(r, REPORT_KEYS)])), s.devices);
        assert.deepEqual(devices.json.items.map((r) => r.serial), ['C1-MFP-1', 'C1-MFP-2']);
        assert.deepEqual(pick(devices.json.totals, REPORT_KEYS), s.total);

        const groups = await get(tree.C1.token, orgUrl('C1', 'reports/groups'));
        assertStatus(groups, 200);
        assert.deepEqual(groups.json.items.map((r) => [r.group_id, r.name, pick(r, REPORT_KEYS)]),
            [[group.id, 'Sales', s.users[people.alice.id]]]);
        assert.deepEqual(pick(groups.json.totals, REPORT_KEYS), s.total, 'totals are the org\'s');

        const mine = await get(await tokenOf(srv, people.alice), '/api/v1/me/report');
        assertStatus(mine, 200, 'REP-2 own report');
        assert.deepEqual(pick(mine.json.totals, REPORT_KEYS), s.users[people.alice.id]);
        assert.deepEqual(mine.json.items.map((r) => r.device_id).sort(), [dev.d1.device.id, dev.d2.device.id].sort());
    });

    test('TEN-3 reports: print manager, user, providers and other customers are refused', async () => {
        const url = orgUrl('C1', 'reports/users');
        assertStatus(await get(await tokenOf(srv, tree.C1.users.print_manager), url), 404, 'print manager');
        assertStatus(await get(await tokenOf(srv, people.alice), url), 404, 'customer user');
        assertStatus(await get(tree.D.token, url), 404, 'parent provider');
        assertStatus(await get(tree.root.token, url), 404, 'root provider');
        assertStatus(await get(tree.C2.token, url), 404, 'another customer');
        assertStatus(await get(await tokenOf(srv, tree.C1.users.print_manager), orgUrl('C1', 'usage')), 404, 'print manager: no contract');
        assertStatus(await get(tree.C2.token, orgUrl('C1', 'usage')), 404, 'sibling customer: no usage');
        assertStatus(await get(tree.D.token, orgUrl('C3', 'usage')), 404, 'TEN-4 a deeper org is not named to the dealer');
    });

    test('REP-1 bad periods and months are refused with what is allowed', async () => {
        for (const q of ['from=2026-13-01', 'to=2026-02-30', 'from=yesterday', 'from=2026-05-02&to=2026-05-01', 'from=2020-01-01&to=2026-01-01'])
            assertError(await get(tree.C1.token, `${orgUrl('C1', 'reports/users')}?${q}`), 400, 'invalid_request', q);
        assertError(await get(tree.C1.token, `${orgUrl('C1', 'usage')}?month=2026-1`), 400, 'invalid_request', 'month');
        assertStatus(await get(tree.C1.token, `${orgUrl('C1', 'reports/users')}?limit=1`), 400, 'unknown parameter');
    });

    test('REP-3 TEN-4 a dealer sees each direct child by name, its subtree only summed', async () => {
        const u = await get(tree.D.token, orgUrl('D', 'usage'));
        assertStatus(u, 200);
        assert.equal(u.json.month, month1);
        const keys = ['C1', 'C2', 'S'];
        assert.deepEqual(u.json.children.map((c) => c.id).sort(), keys.map((k) => tree[k].org.id).sort());
        const child = (k) => u.json.children.find((c) => c.id === tree[k].org.id);
        for (const k of ['C1', 'C2']) {
            assert.equal(child(k).name, tree[k].org.name);
            assert.deepEqual(pick(child(k).own, LEDGER_KEYS), ownOf(k, month1), `${k} own`);
            assert.deepEqual(child(k).subtree, child(k).own, `${k} is a leaf`);
            assert.equal(child(k).orgs_below, 0);
        }
        assert.deepEqual(pick(child('S').own, LEDGER_KEYS), ownOf('S', month1), 'sub-dealer own: nothing');
        assert.deepEqual(pick(child('S').subtree, LEDGER_KEYS), ownOf('C3', month1), 'sub-dealer subtree: its customer summed');
        assert.equal(child('S').orgs_below, 1, 'orgs below counted');
        assert.equal(child('S').subtree.devices, 1, 'devices registered below');
        assert.deepEqual(pick(u.json.subtree, LEDGER_KEYS),
            sum(ownOf('C1', month1), ownOf('C2', month1), ownOf('C3', month1), ownOf('D', month1)));
        assertAnonymous(u.text, ['C3'], 'dealer usage');

        const r = await get(tree.root.token, `/api/v1/orgs/${tree.root.org.id}/usage`);
        assertStatus(r, 200);
        const d = r.json.children.find((c) => c.id === tree.D.org.id);
        assert.deepEqual(pick(d.subtree, LEDGER_KEYS), pick(u.json.subtree, LEDGER_KEYS), 'root sees the dealer\'s subtree summed');
        assertAnonymous(r.text, ['C1', 'C2', 'S', 'C3'], 'root usage');

        const s = await get(tree.D.token, orgUrl('S', 'usage'));
        assertStatus(s, 200, 'a parent reads its child');
        assert.equal(s.json.children, undefined, 'but not the child\'s children');
        assertAnonymous(s.text, ['C3'], 'child usage read by its parent');

        const c1 = await get(tree.C1.token, orgUrl('C1', 'usage'));
        assertStatus(c1, 200, 'customer admin: own figures');
        assert.deepEqual(pick(c1.json.own, LEDGER_KEYS), ownOf('C1', month1));
        for (const k of ['ocr_pages', 'ocr_pages_reserved', 'documents', 'bytes', 'ocr_pages_per_month'])
            assert.equal(typeof c1.json[k], 'number', `CAP-5 field ${k} kept`);
    });

    test('REP-1 REP-3 every report as CSV: the JSON figures, a Total row, names guarded, deeper orgs never named', async () => {
        const s = slot('C1', month1);
        const numbers = (row, keys) => Object.fromEntries(keys.map((k) => [k, Number(row[k])]));
        const users = await get(tree.C1.token, `${orgUrl('C1', 'reports/users')}?format=csv`);
        assertStatus(users, 200, 'users report as CSV');
        assert.equal(users.headers['content-type'], 'text/csv; charset=utf-8');
        const u = csvObjects(users);
        const total = u.items.pop();
        assert.equal(total[u.header[0]], 'Total', 'the last row is the totals');
        assert.deepEqual(numbers(total, REPORT_KEYS), s.total);
        assert.deepEqual(Object.fromEntries(u.items.map((r) => [r.user_id, numbers(r, REPORT_KEYS)])), s.users,
            'the same figures as the JSON (a walk-up copy has an empty user)');

        // A group name is user input: a spreadsheet must not run it.
        const renamed = await srv.request('PATCH', `/api/v1/groups/${group.id}`, { token: tree.C1.token, body: { name: '=Sales+1' } });
        assertStatus(renamed, 200, 'rename the group');
        try {
            const g = csvObjects(await get(tree.C1.token, `${orgUrl('C1', 'reports/groups')}?format=csv`));
            assert.equal(g.items[0].name, "'=Sales+1", 'REP-1 a cell beginning with = is escaped');
        } finally {
            assertStatus(await srv.request('PATCH', `/api/v1/groups/${group.id}`, { token: tree.C1.token, body: { name: 'Sales' } }), 200);
        }

        const json = (await get(tree.D.token, orgUrl('D', 'usage'))).json;
        const usage = await get(tree.D.token, `${orgUrl('D', 'usage')}?format=csv`);
        assertStatus(usage, 200, 'dealer usage as CSV');
        assertAnonymous(usage.text, ['C3'], 'dealer usage CSV');
        const rows = csvObjects(usage).items;
        const last = rows.pop();
        assert.equal(last.id, 'Total');
        assert.equal(Number(last.subtree_print_pages), json.subtree.print_pages, 'the Total row is the whole subtree');
        for (const c of json.children) {
            const row = rows.find((r) => r.id === c.id);
            assert.equal(row.name, c.name);
            assert.equal(Number(row.subtree_print_pages), c.subtree.print_pages, `${c.name} subtree`);
            assert.equal(Number(row.own_print_pages), c.own.print_pages, `${c.name} own`);
        }
        const subs = await get(tree.root.token, `/api/v1/orgs/${tree.root.org.id}/subscriptions?format=csv`);
        assertStatus(subs, 200, 'subscription status as CSV');
        assertAnonymous(subs.text, ['C1', 'C2', 'S', 'C3'], 'root subscriptions CSV');
        assert.ok(csvObjects(subs).items.some((r) => r.id === tree.D.org.id && r.name === tree.D.org.name));
    });

    test('TEN-4 subscriptions: per direct child license, devices, users, month totals; deeper orgs counted', async () => {
        const r = await get(tree.D.token, orgUrl('D', 'subscriptions'));
        assertStatus(r, 200);
        const item = (k) => r.json.items.find((c) => c.id === tree[k].org.id);
        assert.equal(r.json.items.length, 3);
        assert.deepEqual([item('C1').license.devices, item('C1').devices, item('C1').users], [2, 2, 4]);
        assert.deepEqual([item('S').license.devices, item('S').devices, item('S').orgs_below, item('S').subtree.devices, item('S').subtree.users],
            [2, 0, 1, 1, 3]);
        assert.deepEqual(pick(item('S').subtree, LEDGER_KEYS), ownOf('C3', month1));
        assertAnonymous(r.text, ['C3'], 'dealer subscriptions');
        const root = await get(tree.root.token, `/api/v1/orgs/${tree.root.org.id}/subscriptions`);
        assertStatus(root, 200);
        assertAnonymous(root.text, ['C1', 'C2', 'S', 'C3'], 'root subscriptions');
        assert.equal(root.json.items.find((c) => c.id === tree.D.org.id).orgs_below, 4);
        assertStatus(await get(tree.C1.token, orgUrl('C1', 'subscriptions')), 403, 'a customer has none');
        assertStatus(await get(tree.D.token, orgUrl('S', 'subscriptions')), 404, 'only one\'s own tree');
        assertStatus(await get(await tokenOf(srv, people.alice), orgUrl('D', 'subscriptions')), 404, 'a customer user');
    });

    // ---- month 2 -----------------------------------------------------------------------------------

    test('closed months: a late device log is booked to the open month and flagged; the closed month never changes', async () => {
        const before = await get(tree.C2.token, `${orgUrl('C2', 'usage')}?month=${month1}`);
        const beforeUsers = await get(tree.C2.token, `${orgUrl('C2', 'reports/users')}?from=${month1}-01&to=${month1}-28`);
        // To the 2nd of the next month, 12:00 UTC.
        const now = await srv.clockNow();
        const [y, m] = month2.split('-').map(Number);
        await srv.advanceClock(Date.UTC(y, m - 1, 2, 12) / 1000 - now);
        await refreshTokens();
        // 1st of month 2, 03:00 UTC: still month 1 in New York, already month 2 in Berlin.
        const t = Date.UTC(y, m - 1, 1, 3) / 1000;
        const r2 = await log('C2', 'd3', { user: 'carol', type: 'print', pages: 2, time: t, late: month1 });
        assert.equal(r2.time, t, 'the log keeps the event time');
        expect('C2', month2, { user: people.carol.id, device: dev.d3.device.id, type: 'print', pages: 2, late: month1 });
        await log('C1', 'd1', { user: 'bob', type: 'copy', pages: 9, time: t });
        expect('C1', month2, { user: people.bob.id, device: dev.d1.device.id, type: 'copy', pages: 9 });
        await log('C1', 'd2', { user: 'alice', type: 'print', pages: 4, duplex: true });
        expect('C1', month2, { user: people.alice.id, device: dev.d2.device.id, type: 'print', pages: 4, duplex: true });

        const after = await get(tree.C2.token, `${orgUrl('C2', 'usage')}?month=${month1}`);
        assert.deepEqual(after.json.own, before.json.own, 'the closed month is unchanged');
        const afterUsers = await get(tree.C2.token, `${orgUrl('C2', 'reports/users')}?from=${month1}-01&to=${month1}-28`);
        assert.deepEqual(afterUsers.json, beforeUsers.json, 'its report too');
        const open = await get(tree.C2.token, orgUrl('C2', 'usage'));
        assert.equal(open.json.month, month2);
        assert.deepEqual(pick(open.json.own, LEDGER_KEYS), ownOf('C2', month2));
        assert.deepEqual(open.json.late, Object.values(slot('C2', month2).late), 'late entries with the month they belong to');
        const entries = await get(tree.C2.token, orgUrl('C2', 'log'));
        assert.equal(entries.json.items[0].time, t);

        // Berlin: the same instant is the 1st of month 2, a day of the open month.
        const day1 = await get(tree.C1.token, `${orgUrl('C1', 'reports/users')}?from=${month2}-01&to=${month2}-01`);
        assert.deepEqual(day1.json.items.map((x) => [x.user_id, x.copy_pages]), [[people.bob.id, 9]]);
        assert.equal(day1.json.totals.copy_pages, 9);
        assert.equal(day1.json.totals.print_pages, 0, 'the print of the 2nd is not on the 1st');
    });

    test('REP-1 a period over both months adds them up; each month keeps its own figures', async () => {
        const [y, m] = month2.split('-').map(Number);
        const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
        const r = await get(tree.C1.token, `${orgUrl('C1', 'reports/users')}?from=${month1}-01&to=${month2}-${last}`);
        assertStatus(r, 200);
        const s1 = slot('C1', month1), s2 = slot('C1', month2);
        assert.deepEqual(pick(r.json.totals, REPORT_KEYS), sum(s1.total, s2.total));
        const bob = r.json.items.find((x) => x.user_id === people.bob.id);
        assert.deepEqual(pick(bob, REPORT_KEYS), sum(s1.users[people.bob.id], s2.users[people.bob.id]));
        const m1 = await get(tree.D.token, `${orgUrl('D', 'usage')}?month=${month1}`);
        const c1 = m1.json.children.find((c) => c.id === tree.C1.org.id);
        assert.deepEqual(pick(c1.own, LEDGER_KEYS), ownOf('C1', month1), 'month 1 as it was');
        const m2 = await get(tree.D.token, orgUrl('D', 'usage'));
        assert.deepEqual(pick(m2.json.subtree, LEDGER_KEYS),
            sum(ownOf('C1', month2), ownOf('C2', month2), ownOf('C3', month2), ownOf('D', month2)));
        assertAnonymous(m2.text, ['C3'], 'dealer usage, month 2');
    });

    test('DEV-2 an event time in the future or too old is refused and records nothing', async () => {
        const now = await srv.clockNow();
        const count = async () => (await get(tree.C1.token, orgUrl('C1', 'log'))).json.items.length;
        const n = await count();
        for (const time of [now + 3600, now - 91 * 86400, 0, 'soon'])
            assertError(await srv.request('POST', '/api/v1/device/log',
                { token: dev.d1.token, body: { type: 'copy', pages: 1, color: false, duplex: false, time } }), 400, 'invalid_request', String(time));
        assert.equal(await count(), n);
        const u = await get(tree.C1.token, orgUrl('C1', 'usage'));
        assert.deepEqual(pick(u.json.own, LEDGER_KEYS), ownOf('C1', month2));
    });
});
