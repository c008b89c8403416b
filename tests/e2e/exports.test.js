// SPDX-License-Identifier: Apache-2.0
// heavy suite: 500,000 rows exported; run once, on the normal build against PostgreSQL (scripts/check.sh).
// REP-1, REP-2, REP-4, TEN-3: the job log paged by keyset and filtered, every list as JSON or
// CSV (RFC 4180, formula-injection guard), the job log and the audit log exported as CSV
// streamed batch by batch in flat server memory.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import nodePath from 'node:path';
import { spawn } from 'node:child_process';
import { csvObjects, parseCsv } from './lib/csv.js';
import { startServer, assertStatus, assertError, createOrgTree, createUser, tokenOf, uniq } from './lib/server.js';

let srv;
let tree;
let devices;
let users;
const reported = []; // what the devices reported: {id, time, user, device, type, color, pages}

async function deviceToken(d) {
    const t = await srv.request('POST', '/oauth/token', {
        rawBody: 'grant_type=client_credentials',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: 'Basic ' + Buffer.from(`${d.client_id}:${d.client_secret}`).toString('base64') } });
    assertStatus(t, 200);
    return t.json.access_token;
}

const logPath = (q = '') => `/api/v1/orgs/${tree.cA.org.id}/log${q}`;

/** Follows a listing's pages from path (with its own query) until next is null. */
async function allPages(path, token) {
    const seen = [];
    let after = null;
    for (let pages = 0; pages < 100; pages++) {
        const sep = path.includes('?') ? '&' : '?';
        const r = await srv.request('GET', after ? `${path}${sep}after=${encodeURIComponent(after)}` : path, { token });
        assertStatus(r, 200);
        seen.push(...r.json.items);
        assert.ok('next' in r.json, 'a page names its next cursor (or null)');
        if (r.json.next === null)
            return seen;
        assert.equal(typeof r.json.next, 'string', 'the cursor is an opaque string');
        after = r.json.next;
    }
    assert.fail('paging did not end');
}

before(async () => {
    srv = await startServer();
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user', 'print_manager'] }],
        ['cB', { parent: 'pA', type: 'customer', users: ['customer_user'] }],
    ]);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, { token: tree.pA.token, body: { license: { devices: 2 } } }), 200);
    devices = [];
    for (const serial of ['EXP-1', 'EXP-2']) {
        const d = (await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.cA.token, body: { serial } })).json;
        devices.push({ ...d, token: await deviceToken(d) });
    }
    // Usernames are user input: two begin with characters a spreadsheet would run.
    users = [
        tree.cA.users.customer_user,
        await createUser(srv, tree.cA.token, tree.cA.org, { role: 'customer_user', username: `@ann.${uniq()}` }),
        await createUser(srv, tree.cA.token, tree.cA.org, { role: 'customer_user', username: `-bob.${uniq()}` }),
    ];
    const types = ['print', 'copy', 'scan'];
    for (let i = 0; i < 25; i++) {
        const e = { user: users[i % 3], device: devices[i % 2], type: types[i % 3 === 0 ? 0 : (i % 5) % 3], color: i % 4 === 0, pages: i + 1 };
        if (i % 7 === 6)
            e.user = null; // a walk-up copy without login
        const body = { type: e.type, pages: e.pages, copies: 1, color: e.color, duplex: false };
        if (e.user)
            body.user_id = e.user.id;
        const r = await srv.request('POST', '/api/v1/device/log', { token: e.device.token, body });
        assertStatus(r, 201);
        reported.push({ ...e, id: r.json.id, time: r.json.time });
        if (i === 12)
            await srv.advanceClock(120); // a later period for from/to (tokens still valid)
    }
});

after(async () => {
    if (srv)
        await srv.stop();
});

const idsOf = (items) => items.map((e) => e.id);
const expectIds = (pred) => reported.filter(pred).map((e) => e.id).sort((a, b) => b - a);

describe('job log pages and filters (REP-1, REP-2)', () => {
    test('REP-1 keyset pages: every entry once, newest first, next null on the last page', async () => {
        const all = await allPages(logPath('?limit=7'), tree.cA.token);
        assert.deepEqual(idsOf(all), expectIds(() => true));
        const one = await srv.request('GET', logPath('?limit=25'), { token: tree.cA.token });
        assert.equal(one.json.items.length, 25);
        assert.equal(one.json.next, null, 'exactly limit entries left: no empty extra page');
        const first = await srv.request('GET', logPath(), { token: tree.cA.token });
        assert.equal(first.json.items.length, 25, 'the default page is 100 entries');
    });

    test('REP-1 filters: user, device, type, colour, period, and together', async () => {
        const tok = tree.cA.token;
        const cases = [
            [`?user=${users[1].id}`, (e) => e.user === users[1]],
            [`?device=${devices[1].id}`, (e) => e.device === devices[1]],
            ['?type=copy', (e) => e.type === 'copy'],
            ['?color=true', (e) => e.color],
            ['?color=false&type=print', (e) => !e.color && e.type === 'print'],
            [`?user=${users[0].id}&device=${devices[0].id}&limit=2`, (e) => e.user === users[0] && e.device === devices[0]],
            [`?from=${reported[13].time}`, (e) => e.time >= reported[13].time],
            [`?to=${reported[12].time}&type=scan`, (e) => e.time <= reported[12].time && e.type === 'scan'],
        ];
        for (const [q, pred] of cases) {
            const got = await allPages(logPath(q), tok);
            const want = expectIds(pred);
            assert.ok(want.length > 0, `the case ${q} selects something`);
            assert.deepEqual(idsOf(got), want, `filter ${q}`);
        }
        const e = (await srv.request('GET', logPath(`?device=${devices[1].id}&limit=1`), { token: tok })).json.items[0];
        const src = reported.find((x) => x.id === e.id);
        assert.equal(e.device_serial, 'EXP-2');
        assert.equal(e.username, src.user ? src.user.username : null);
        assert.equal(e.pages, src.pages);
    });

    test('REP-1 bad paging and filter values are refused with what is allowed', async () => {
        const tok = tree.cA.token;
        assertError(await srv.request('GET', logPath('?limit=0'), { token: tok }), 400, 'invalid_request');
        const big = await srv.request('GET', logPath('?limit=1001'), { token: tok });
        assertStatus(big, 400);
        assert.match(big.json.message, /1 to 1000/);
        assert.match((await srv.request('GET', logPath('?after=abc'), { token: tok })).json.message, /next/);
        assert.match((await srv.request('GET', logPath('?type=fax'), { token: tok })).json.message, /print, copy or scan/);
        assert.match((await srv.request('GET', logPath('?color=yes'), { token: tok })).json.message, /true or false/);
        assert.match((await srv.request('GET', logPath('?format=xml'), { token: tok })).json.message, /json or csv/);
        assertStatus(await srv.request('GET', logPath('?offset=10'), { token: tok }), 400, 'no OFFSET paging');
    });

    test('REP-2 TEN-3 a user pages their own log; print manager and provider see no org log', async () => {
        const u = users[1];
        const tok = await tokenOf(srv, u);
        const mine = await allPages('/api/v1/me/log?limit=3', tok);
        assert.deepEqual(idsOf(mine), expectIds((e) => e.user === u));
        const copies = await allPages('/api/v1/me/log?type=copy', tok);
        assert.deepEqual(idsOf(copies), expectIds((e) => e.user === u && e.type === 'copy'));
        assertStatus(await srv.request('GET', `/api/v1/me/log?user=${users[0].id}`, { token: tok }), 400, 'no user filter on /me/log');
        assertStatus(await srv.request('GET', logPath(), { token: tok }), 404, 'a user');
        const pm = await tokenOf(srv, tree.cA.users.print_manager);
        assertStatus(await srv.request('GET', logPath(), { token: pm }), 404, 'print manager');
        assertStatus(await srv.request('GET', logPath('?format=csv'), { token: pm }), 404, 'print manager, CSV');
        assertStatus(await srv.request('GET', logPath('?format=csv'), { token: tree.pA.token }), 404, 'provider, CSV');
        assertStatus(await srv.request('GET', logPath('?format=csv'), { token: tree.cB.token }), 404, 'sibling, CSV');
    });
});

describe('CSV answers (REP-1, REP-4)', () => {
    test('REP-1 the job log as CSV: every filtered entry, attachment, CRLF, injection guarded', async () => {
        const r = await srv.request('GET', logPath('?format=csv'), { token: tree.cA.token });
        assertStatus(r, 200);
        assert.equal(r.headers['content-type'], 'text/csv; charset=utf-8');
        assert.match(r.headers['content-disposition'], /^attachment; filename="log\.csv"$/);
        const { header, items } = csvObjects(r);
        assert.deepEqual(header, ['id', 'time', 'user_id', 'username', 'device_id', 'device_serial', 'type', 'pages', 'copies', 'color', 'duplex']);
        assert.deepEqual(items.map((e) => Number(e.id)), expectIds(() => true), 'all entries, no page limit');
        for (const e of items) {
            const src = reported.find((x) => x.id === Number(e.id));
            const name = src.user ? src.user.username : '';
            const shown = /^[=+\-@\t\r]/.test(name) ? `'${name}` : name;
            assert.equal(e.username, shown, 'REP-1 a username beginning with = + - @ is prefixed with \'');
            assert.equal(e.color, String(src.color));
            assert.equal(Number(e.pages), src.pages);
        }
        assert.ok(r.text.includes(`'${users[1].username}`) && r.text.includes(`'${users[2].username}`));
        // Accept: text/csv asks for the same; filters and limit apply to the export too.
        const a = await srv.request('GET', logPath(`?device=${devices[0].id}&limit=5`), { token: tree.cA.token, headers: { Accept: 'text/csv' } });
        assertStatus(a, 200);
        assert.equal(a.headers['content-type'], 'text/csv; charset=utf-8');
        assert.deepEqual(csvObjects(a).items.map((e) => Number(e.id)), expectIds((e) => e.device === devices[0]).slice(0, 5));
        const j = await srv.request('GET', logPath(), { token: tree.cA.token, headers: { Accept: 'application/json, text/csv' } });
        assert.ok(Array.isArray(j.json.items), 'JSON stays the default');
        const empty = await srv.request('GET', logPath('?type=scan&from=9999999999&format=csv'), { token: tree.cA.token });
        assert.deepEqual(parseCsv(empty.text).length, 1, 'an empty export is its header row');
        const me = await srv.request('GET', '/api/v1/me/log?format=csv', { token: await tokenOf(srv, users[2]) });
        assert.deepEqual(csvObjects(me).items.map((e) => Number(e.id)), expectIds((e) => e.user === users[2]));
    });

    test('REP-1 every list answers CSV: users with user-input names guarded', async () => {
        const r = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/users?format=csv`, { token: tree.cA.token });
        assertStatus(r, 200);
        assert.match(r.headers['content-disposition'], /filename="users\.csv"/);
        const { header, items } = csvObjects(r);
        assert.ok(header.includes('username') && header.includes('role'));
        const json = (await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: tree.cA.token })).json.items;
        assert.equal(items.length, json.length);
        const names = items.map((e) => e.username);
        assert.ok(names.includes(`'${users[1].username}`) && names.includes(`'${users[2].username}`));
        assert.ok(!names.includes(users[1].username), 'never unguarded');
        const d = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.cA.token, headers: { Accept: 'text/csv' } });
        assert.equal(csvObjects(d).items.length, 2);
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/groups?format=pdf`, { token: tree.cA.token }), 400);
    });

    test('REP-1 a large export streams (chunked) in flat server memory', async (t) => {
        const rows = 500000; // 41 MB of CSV: far more than one batch, the pool's page caches and the TLS buffers
        const org = tree.cB.org.id;
        const d = (await srv.request('POST', `/api/v1/orgs/${org}/devices`, { token: tree.cB.token, body: { serial: 'BIG-1' } }));
        if (d.status !== 201) // cB has no device license: grant one
            assertStatus(await srv.request('PATCH', `/api/v1/orgs/${org}`, { token: tree.pA.token, body: { license: { devices: 1 } } }), 200);
        const dev = d.status === 201 ? d.json : (await srv.request('POST', `/api/v1/orgs/${org}/devices`, { token: tree.cB.token, body: { serial: 'BIG-1' } })).json;
        await srv.sql(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${rows}) `
            + 'INSERT INTO job_log (org_id, time, user_id, device_id, type, pages, copies, color, duplex) '
            + `SELECT '${org}', 1700000000 + i, NULL, '${dev.id}', 'print', i % 50, 1, i % 2, 0 FROM s`);
        await srv.sql('ANALYZE job_log'); // as PostgreSQL's autovacuum would after a bulk load
        const hwm = () => {
            const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${srv.proc.pid}/status`, 'utf8'));
            return Number(m[1]) * 1024;
        };
        const path = `/api/v1/orgs/${org}/log?format=csv`;
        await srv.request('GET', `${path}&limit=2000`, { token: tree.cB.token }); // warm: the code path once
        const before = hwm();
        const t0 = process.hrtime.bigint();
        const r = await srv.request('GET', path, { token: tree.cB.token });
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const grown = hwm() - before;
        assertStatus(r, 200);
        assert.equal(r.headers['transfer-encoding'], 'chunked', 'sent as it is read');
        const lines = r.text.split('\r\n');
        assert.equal(lines.length, rows + 2, 'header, every row, and the final CRLF');
        assert.ok(Number(lines[1].split(',')[0]) > Number(lines[2].split(',')[0]), 'newest first');
        t.diagnostic(`${rows} rows, ${r.raw.length} bytes of CSV; quired VmHWM ${before} -> ${before + grown} bytes`);
        // The peer, for the record only (no timing assert): the database's own CSV dump of
        // the same query.
        const sql = 'SELECT j.id, j.time, j.user_id, u.username, j.device_id, d.serial, j.type, j.pages, '
            + 'j.copies, j.color, j.duplex FROM job_log j LEFT JOIN users u ON u.id = j.user_id '
            + `LEFT JOIN devices d ON d.id = j.device_id WHERE j.org_id = '${org}' ORDER BY j.id DESC`;
        const peer = srv.dbUrl ? ['psql', [srv.dbUrl, '-c', `\\copy (${sql}) to stdout csv`]]
            : ['sqlite3', ['-csv', nodePath.join(srv.dataDir, 'quire.db'), sql]];
        const p0 = process.hrtime.bigint();
        const peerBytes = await new Promise((resolve, reject) => {
            const c = spawn(peer[0], peer[1], { stdio: ['ignore', 'pipe', 'inherit'] });
            let n = 0;
            c.stdout.on('data', (b) => { n += b.length; });
            c.on('error', reject);
            c.on('close', () => resolve(n));
        });
        const peerSeconds = Number(process.hrtime.bigint() - p0) / 1e9;
        t.diagnostic(`export ${(rows / seconds).toFixed(0)} rows/s; ${peer[0]} CSV of the same query `
            + `${(rows / peerSeconds).toFixed(0)} rows/s (${peerBytes} bytes); ratio ${(peerSeconds / seconds).toFixed(2)}`);
        // Under AddressSanitizer freed memory waits in its quarantine, so VmHWM says nothing
        // about the export there; the normal build answers the question.
        if (!process.env.ASAN_OPTIONS) assert.ok(grown < r.raw.length / 3,
            `REP-1 server memory stays flat: VmHWM grew ${grown} bytes for a ${r.raw.length}-byte export`);
    });
});

describe('audit log listing (REP-4)', () => {
    test('REP-4 the audit log paged by keyset and filtered by action, actor, target and period', async () => {
        const org = tree.cA.org.id;
        const tok = tree.cA.token;
        const groups = [];
        for (let i = 0; i < 5; i++) {
            const g = await srv.request('POST', `/api/v1/orgs/${org}/groups`, { token: tok, body: { name: `=cmd|calc ${i} ${uniq()}` } });
            assertStatus(g, 201);
            groups.push(g.json);
        }
        assertStatus(await srv.request('PATCH', `/api/v1/groups/${groups[0].id}`, { token: tok, body: { name: `-renamed ${uniq()}` } }), 200);
        const whole = await srv.request('GET', `/api/v1/orgs/${org}/audit?limit=1000`, { token: tok });
        assertStatus(whole, 200);
        assert.equal(whole.json.next, null);
        const all = whole.json.items;
        const paged = await allPages(`/api/v1/orgs/${org}/audit?limit=3`, tok);
        assert.deepEqual(idsOf(paged), idsOf(all), 'pages hold every event once, in the same order');
        for (let i = 1; i < all.length; i++)
            assert.ok(all[i - 1].time > all[i].time || (all[i - 1].time === all[i].time && all[i - 1].id > all[i].id), 'newest first');
        const created = await allPages(`/api/v1/orgs/${org}/audit?action=group_created&limit=2`, tok);
        assert.deepEqual(idsOf(created), idsOf(all.filter((e) => e.action === 'group_created')));
        assert.equal(created.length, 5);
        const target = await allPages(`/api/v1/orgs/${org}/audit?target=${groups[0].id}`, tok);
        assert.deepEqual(target.map((e) => e.action).sort(), ['group_created', 'group_renamed']);
        const adminId = tree.cA.admin.id;
        const byAdmin = await allPages(`/api/v1/orgs/${org}/audit?actor=${adminId}&limit=4`, tok);
        assert.deepEqual(idsOf(byAdmin), idsOf(all.filter((e) => e.actor_id === adminId)));
        const t0 = all.find((e) => e.action === 'group_renamed').time;
        const period = await allPages(`/api/v1/orgs/${org}/audit?from=${t0}&to=${t0}`, tok);
        assert.deepEqual(idsOf(period), idsOf(all.filter((e) => e.time === t0)));
        assert.match((await srv.request('GET', `/api/v1/orgs/${org}/audit?after=12`, { token: tok })).json.message, /next/);
        assertStatus(await srv.request('GET', `/api/v1/orgs/${org}/audit?limit=1001`, { token: tok }), 400);
        // TEN-3: the org's own admins only.
        assertStatus(await srv.request('GET', `/api/v1/orgs/${org}/audit`, { token: await tokenOf(srv, users[0]) }), 404, 'a user');
        assertStatus(await srv.request('GET', `/api/v1/orgs/${org}/audit?format=csv`, { token: tree.cB.token }), 404, 'a sibling, CSV');
    });

    test('REP-4 the audit log as CSV, streamed, with user input guarded', async () => {
        const org = tree.cA.org.id;
        const tok = tree.cA.token;
        const json = (await srv.request('GET', `/api/v1/orgs/${org}/audit?limit=1000`, { token: tok })).json.items;
        const r = await srv.request('GET', `/api/v1/orgs/${org}/audit?format=csv`, { token: tok });
        assertStatus(r, 200);
        assert.equal(r.headers['content-type'], 'text/csv; charset=utf-8');
        assert.match(r.headers['content-disposition'], /filename="audit\.csv"/);
        const { header, items } = csvObjects(r);
        assert.deepEqual(header, ['id', 'time', 'actor_id', 'action', 'target_id', 'detail']);
        assert.deepEqual(items.map((e) => Number(e.id)), idsOf(json));
        for (const e of items) {
            const src = json.find((x) => x.id === Number(e.id));
            const d = src.detail;
            assert.equal(e.detail, /^[=+\-@\t\r]/.test(d) ? `'${d}` : d, 'REP-4 detail guarded');
            assert.equal(e.actor_id, src.actor_id === null ? '' : src.actor_id, 'null is empty');
        }
        assert.ok(items.some((e) => e.detail.startsWith("'=cmd|calc")), 'a group name beginning with = is guarded');
        assert.ok(items.some((e) => e.detail.startsWith("'-renamed")), 'and one beginning with -');
        const f = await srv.request('GET', `/api/v1/orgs/${org}/audit?action=group_created&limit=2`, { token: tok, headers: { Accept: 'text/csv' } });
        assert.deepEqual(csvObjects(f).items.map((e) => e.action), ['group_created', 'group_created']);
    });
});
