// SPDX-License-Identifier: Apache-2.0
// Issue 15, part C: HTTP Basic at the IPP queue that is safe and fast. AUTH-5 smart lockout on
// every password entry point (a client retrying a stale password does not lock its user;
// distinct wrong passwords still lock at 3); the Basic credential cache (one password check
// per job, not per request; a password change, lock or deactivation ends it at the next
// request, on the test clock); and refusals that IPP clients show (ipptool prints the
// status-message, never "No request sent"). Everything on the test clock: no sleeping.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, startPeer, assertStatus, createOrgTree, createUser, strongPassword, uniq } from './lib/server.js';

const IPPTOOL_TIMEOUT_S = 20; // per IPP request (-T)
const IPPTOOL_KILL_MS = 60000; // the whole run; ipptool ignores SIGTERM (DESIGN 5)
const CUPS_TESTS = '/usr/share/cups/ipptool';

let srv;
let tree;
let work; // HOME for ipptool (its trust-on-first-use store) and the test document

before(async () => {
    // Email MFA can only be switched on with mail delivery configured; nothing is mailed here.
    srv = await startServer({ env: { QUIRE_SMTP_URL: 'smtp://127.0.0.1:9' } });
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer' }],
    ]);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, { token: tree.pA.token,
        body: { license: { devices: 1 } } }), 200, 'license a device for the panel');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-ippauth-'));
    fs.mkdirSync(path.join(work, 'home'));
    fs.writeFileSync(path.join(work, 'doc.pdf'), pdf());
});

after(async () => {
    if (srv)
        await srv.stop();
    if (work)
        fs.rmSync(work, { recursive: true, force: true });
});

function pdf() {
    return Buffer.from(`%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj
trailer << /Root 1 0 R >>
%%EOF
`);
}

// ---- raw IPP ----

const TAG = { op: 0x01, end: 0x03, uri: 0x45, charset: 0x47, language: 0x48, text: 0x41 };
const OP = { print: 0x0002, getJobs: 0x000a, gpa: 0x000b };
const ST = { ok: 0x0000, forbidden: 0x0401, notAuthorized: 0x0403, busy: 0x0507 };

/** An IPP request with the operation attributes every request carries. */
function ippRequest(op, id = 7) {
    const parts = [];
    const head = Buffer.alloc(8);
    head.writeUInt16BE(0x0200, 0);
    head.writeUInt16BE(op, 2);
    head.writeUInt32BE(id, 4);
    parts.push(head, Buffer.from([TAG.op]));
    for (const [tag, name, value] of [[TAG.charset, 'attributes-charset', 'utf-8'],
        [TAG.language, 'attributes-natural-language', 'en'],
        [TAG.uri, 'printer-uri', `ipps://localhost:${srv.port}/ipp/print`]]) {
        const h = Buffer.alloc(3);
        h[0] = tag;
        h.writeUInt16BE(name.length, 1);
        const l = Buffer.alloc(2);
        l.writeUInt16BE(Buffer.byteLength(value));
        parts.push(h, Buffer.from(name), l, Buffer.from(value));
    }
    parts.push(Buffer.from([TAG.end]));
    return Buffer.concat(parts);
}

/** The status-message of an IPP response (its first text attribute of that name). */
function statusMessage(raw) {
    const name = Buffer.from('status-message');
    const i = raw.indexOf(name);
    if (i < 3)
        return null;
    const len = raw.readUInt16BE(i + name.length);
    return raw.subarray(i + name.length + 2, i + name.length + 2 + len).toString();
}

const basicOf = (u, password = u.password) =>
    'Basic ' + Buffer.from(`${u.slug}\\${u.username}:${password}`).toString('base64');

/** POSTs raw IPP; resolves the HTTP answer plus the IPP status code and message (or null). */
async function ipp(body, auth, server = srv) {
    const headers = { 'Content-Type': 'application/ipp' };
    if (auth)
        headers.Authorization = auth;
    const r = await server.request('POST', '/ipp/print', { rawBody: body, headers });
    const isIpp = r.status === 200 && r.raw.length >= 8;
    r.ippStatus = isIpp ? r.raw.readUInt16BE(2) : null;
    r.ippMessage = isIpp ? statusMessage(r.raw) : null;
    return r;
}

const getJobs = (u, password, server = srv) => ipp(ippRequest(OP.getJobs), basicOf(u, password), server);

/** Runs ipptool with the user's credentials in the URI; resolves {code, out}. Bounded. */
function ipptool(u, password, testFile) {
    const cred = `${encodeURIComponent(`${u.username}@${u.slug}`)}:${encodeURIComponent(password)}`;
    const uri = `ipps://${cred}@localhost:${srv.port}/ipp/print`;
    return new Promise((resolve) => {
        const p = spawn('ipptool', ['-T', String(IPPTOOL_TIMEOUT_S), '-t', '-f', 'doc.pdf', uri,
            path.join(CUPS_TESTS, testFile)], {
            cwd: work,
            env: { ...process.env, HOME: path.join(work, 'home'), CUPS_ANYROOT: 'yes' },
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { out += d; });
        const timer = setTimeout(() => p.kill('SIGKILL'), IPPTOOL_KILL_MS);
        p.on('close', (code) => {
            clearTimeout(timer);
            resolve({ code, out });
        });
    });
}

// ---- helpers ----

const newUser = () => createUser(srv, tree.cA.token, tree.cA.org, { role: 'customer_user' });

async function lockedFlag(u) {
    const r = await srv.request('GET', `/api/v1/users/${u.id}`, { token: tree.cA.token });
    assertStatus(r, 200, 'admin reads the user');
    return r.json.locked;
}

/** The number of successful password checks so far (GET /metrics, OPS-3). */
async function passwordChecksOk() {
    const r = await srv.request('GET', '/metrics');
    assertStatus(r, 200, 'metrics');
    const m = r.text.match(/^quire_password_checks_total\{result="ok"\} (\d+)$/m);
    assert.ok(m, 'the password check counter is exported');
    return Number(m[1]);
}

/** The failure counters per source count per clock minute: start each entry point afresh. */
async function nextMinute() {
    tree.cA.token = (await srv.login(tree.cA.admin.slug, tree.cA.admin.username, tree.cA.admin.password)).access_token;
    await srv.advanceClock(61);
    tree.cA.token = (await srv.login(tree.cA.admin.slug, tree.cA.admin.username, tree.cA.admin.password)).access_token;
}

const cookieOf = (res, name) => (res.headers['set-cookie'] || []).map((c) => c.split(';')[0])
    .find((c) => c.startsWith(`${name}=`))?.slice(name.length + 1);
const hidden = (html, name) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1]
    ?.replace(/&amp;/g, '&');

/** The browser's sign-in form; resolves the HTTP answer (a failure is the form again). */
async function webLogin(u, password) {
    const page = await srv.request('GET', `/forgot?org=${u.slug}`);
    assertStatus(page, 200, 'a page with a CSRF token');
    const csrf = cookieOf(page, '__Host-quire_csrf');
    return srv.request('POST', '/login', {
        rawBody: new URLSearchParams({ csrf: hidden(page.text, 'csrf'), org: u.slug, username: u.username, password,
            return_to: 'response_type=code&client_id=0123456789abcdef0123456789abcdef&state=xyz' }).toString(),
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `__Host-quire_csrf=${csrf}` } });
}

let device;
async function panelLogin(u, password) {
    if (!device) {
        const d = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.cA.token, body: { serial: `AUTH-${uniq()}` } });
        assertStatus(d, 201, 'register a device');
        device = d.json;
    }
    const t = await srv.request('POST', '/oauth/token', {
        rawBody: 'grant_type=client_credentials',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: 'Basic ' + Buffer.from(`${device.client_id}:${device.client_secret}`).toString('base64') } });
    assertStatus(t, 200, 'device token');
    return srv.request('POST', '/api/v1/device/login', { token: t.json.access_token,
        body: { method: 'password', username: u.username, password } });
}

/** Every entry point that takes a password: a function (user, password) resolving whether
 * it was refused as a wrong password (true) or let in (false). */
const ENTRY_POINTS = {
    'REST login (POST /api/v1/auth/login)': async (u, pw) => {
        const r = await srv.tryLogin(u.slug, u.username, pw);
        assert.ok([200, 401].includes(r.status), `REST login answered ${r.status}`);
        return r.status === 401;
    },
    'browser sign-in (POST /login)': async (u, pw) => {
        const r = await webLogin(u, pw);
        assert.ok([401, 303, 302].includes(r.status), `browser sign-in answered ${r.status}`);
        return !cookieOf(r, '__Host-quire_session');
    },
    'IPP HTTP Basic (POST /ipp/print)': async (u, pw) => {
        const r = await getJobs(u, pw);
        assert.ok(r.status === 401 || r.ippStatus === ST.ok, `IPP answered ${r.status}`);
        if (r.status === 401)
            assert.equal(r.headers['www-authenticate'], 'Basic realm="quire"');
        return r.status === 401;
    },
    'device panel password (POST /api/v1/device/login)': async (u, pw) => {
        const r = await panelLogin(u, pw);
        assert.ok([200, 401].includes(r.status), `panel answered ${r.status}`);
        return r.status === 401;
    },
    'current password (POST /api/v1/me/password)': async (u, pw) => {
        if (!u.token)
            u.token = (await srv.login(u.slug, u.username, u.password)).access_token;
        const r = await srv.request('POST', '/api/v1/me/password', { token: u.token,
            body: { current_password: pw, new_password: strongPassword() } });
        assert.ok([204, 403].includes(r.status), `password change answered ${r.status}`);
        return r.status === 403;
    },
};

describe('AUTH-5 smart lockout on every password entry point', () => {
    for (const [name, attempt] of Object.entries(ENTRY_POINTS)) {
        test(`AUTH-5 ${name}: the same wrong password 10 times does not lock; 3 distinct ones do`, async () => {
            await nextMinute();
            const u = await newUser();
            const stale = `Stale-${uniq()}-Pw1!`;
            for (let i = 0; i < 10; i++)
                assert.equal(await attempt(u, stale), true, `stale password try ${i + 1} refused`);
            assert.equal(await lockedFlag(u), false, 'a retried stale password does not lock the account');
            const v = await newUser();
            for (let i = 0; i < 3; i++)
                assert.equal(await attempt(v, `Wrong-${uniq()}-Pw${i}!`), true, `distinct wrong password ${i + 1} refused`);
            assert.equal(await lockedFlag(v), true, 'three distinct wrong passwords lock the account');
            assert.equal(await attempt(v, v.password), true, 'locked: the right password is refused there');
            // And the stale-password user still gets in with the right one, at this entry point.
            assert.equal(await attempt(u, u.password), false, 'the right password works after the retries');
        });
    }

    test('AUTH-5 a CUPS queue with a stale password retrying 10 times in one second does not lock; its user still prints', async () => {
        await nextMinute();
        const u = await newUser();
        const rs = await Promise.all(Array.from({ length: 10 }, () => getJobs(u, 'Old-Stored-Pw-1!')));
        for (const r of rs) {
            assert.equal(r.status, 401, 'each retry: 401');
            assert.equal(r.headers['www-authenticate'], 'Basic realm="quire"');
        }
        assert.equal(await lockedFlag(u), false, 'not locked');
        assert.equal((await getJobs(u)).ippStatus, ST.ok, 'the right password prints');
        const pin = await srv.tryLogin(u.slug, u.username, u.password);
        assertStatus(pin, 200, 'and signs in anywhere else');
        // The audit tells the repeats apart, without the password.
        const a = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/audit`, { token: tree.cA.token });
        assertStatus(a, 200);
        const mine = a.json.items.filter((e) => e.action === 'login_failed' && String(e.target_id) === String(u.id));
        assert.equal(mine.length, 10, 'every try is audited');
        assert.equal(mine.filter((e) => /not counted/.test(JSON.stringify(e.detail))).length, 9, 'nine as not counted');
        assert.doesNotMatch(a.text, /Old-Stored-Pw/, 'the password is not logged');
    });
});

describe('Issue 15 the Basic credential cache', () => {
    test('a job costs one password check, not one per request; five minutes later it is checked again', async () => {
        await nextMinute();
        const u = await newUser();
        const before = await passwordChecksOk();
        for (let i = 0; i < 5; i++)
            assert.equal((await getJobs(u)).ippStatus, ST.ok, `request ${i + 1}`);
        assert.equal(await passwordChecksOk() - before, 1, 'one Argon2id check for 5 requests');
        // The test clock follows real time from where it was moved to: 4:50 is well inside.
        await srv.advanceClock(290);
        await getJobs(u);
        assert.equal(await passwordChecksOk() - before, 1, 'still remembered at 4:50');
        await srv.advanceClock(10);
        assert.equal((await getJobs(u)).ippStatus, ST.ok);
        assert.equal(await passwordChecksOk() - before, 2, 'checked again at 5:00');
        // A wrong password is never answered from the cache.
        assert.equal((await getJobs(u, `${u.password}x`)).status, 401);
    });

    test('a changed password is refused at the next request; the new one works', async () => {
        await nextMinute();
        const u = await newUser();
        assert.equal((await getJobs(u)).ippStatus, ST.ok, 'remembered now');
        const t = await srv.login(u.slug, u.username, u.password);
        const fresh = strongPassword();
        assertStatus(await srv.request('POST', '/api/v1/me/password', { token: t.access_token,
            body: { current_password: u.password, new_password: fresh } }), 204, 'own password change');
        assert.equal((await getJobs(u)).status, 401, 'the old password is refused at once');
        assert.equal((await getJobs(u, fresh)).ippStatus, ST.ok, 'the new one prints');
        // An admin's reset, a deactivation and a lock end it too.
        const reset = strongPassword();
        assertStatus(await srv.request('PATCH', `/api/v1/users/${u.id}`, { token: tree.cA.token, body: { password: reset } }), 200, 'admin reset');
        assert.equal((await getJobs(u, fresh)).status, 401, 'refused after the admin reset');
        u.password = reset;
        assert.equal((await getJobs(u)).ippStatus, ST.ok, 'the reset password prints (a one-time password is refused below)');
    });

    test('two servers: a password changed through one ends the credential the other remembers', { skip: !process.env.QUIRE_TEST_PG_URL && 'servers share a database only on PostgreSQL' }, async () => {
        await nextMinute();
        const peer = await startPeer(srv);
        try {
            await peer.advanceClock(srv.clockOffset);
            const u = await newUser();
            assert.equal((await getJobs(u, u.password, peer)).ippStatus, ST.ok, 'remembered by the peer');
            const t = await srv.login(u.slug, u.username, u.password);
            const fresh = strongPassword();
            assertStatus(await srv.request('POST', '/api/v1/me/password', { token: t.access_token,
                body: { current_password: u.password, new_password: fresh } }), 204, 'changed through the first server');
            assert.equal((await getJobs(u, u.password, peer)).status, 401, 'the peer refuses the old password at once');
            assert.equal((await getJobs(u, fresh, peer)).ippStatus, ST.ok, 'and takes the new one');
        } finally {
            await peer.halt();
        }
    });

    test('deactivation, deletion and a lock end a remembered credential at the next request', async () => {
        await nextMinute();
        const d = await newUser();
        assert.equal((await getJobs(d)).ippStatus, ST.ok);
        assertStatus(await srv.request('PATCH', `/api/v1/users/${d.id}`, { token: tree.cA.token, body: { active: false } }), 200);
        assert.equal((await getJobs(d)).status, 401, 'deactivated');

        const x = await newUser();
        assert.equal((await getJobs(x)).ippStatus, ST.ok);
        assertStatus(await srv.request('DELETE', `/api/v1/users/${x.id}`, { token: tree.cA.token }), 204);
        assert.equal((await getJobs(x)).status, 401, 'deleted');

        const l = await newUser();
        assert.equal((await getJobs(l)).ippStatus, ST.ok);
        for (let i = 0; i < 3; i++)
            assertStatus(await srv.tryLogin(l.slug, l.username, `Wrong-${i}-Pw!`), 401);
        assert.equal((await getJobs(l)).status, 401, 'locked: refused although remembered');
        assertStatus(await srv.request('POST', `/api/v1/users/${l.id}/unlock`, { token: tree.cA.token }), 204, 'unlock');
        assert.equal((await getJobs(l)).ippStatus, ST.ok, 'after the unlock the password is checked again and prints');
    });
});

describe('Issue 15 refusals as IPP clients show them', () => {
    test('a one-time password: IPP client-error-not-authorized with a status-message, shown by ipptool', async () => {
        await nextMinute();
        const c = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: tree.cA.token,
            body: { username: `onetime.${uniq()}`, role: 'customer_user', active: true } });
        assertStatus(c, 201, 'create a user with a generated one-time password');
        assert.ok(c.json.password, 'a generated password is returned once');
        const u = { ...c.json, slug: tree.cA.org.slug };
        if (c.json.active === false)
            assertStatus(await srv.request('PATCH', `/api/v1/users/${u.id}`, { token: tree.cA.token, body: { active: true } }), 200);
        const r = await getJobs(u, c.json.password);
        assert.equal(r.status, 200, 'an IPP answer, not an HTTP error');
        assert.equal(r.headers['content-type'], 'application/ipp');
        assert.equal(r.ippStatus, ST.notAuthorized, 'client-error-not-authorized');
        assert.match(r.ippMessage, /one-time password/);
        assert.match(r.ippMessage, /choose your own password/);
        const t = await ipptool(u, c.json.password, 'print-job.test');
        assert.doesNotMatch(t.out, /No request sent/, t.out);
        assert.match(t.out, /client-error-not-authorized/, t.out);
        assert.match(t.out, /one-time password/, `ipptool shows the status-message:\n${t.out}`);
        // Nothing was printed.
        const tok = (await srv.login(u.slug, u.username, c.json.password)).access_token;
        const me = await srv.request('GET', '/api/v1/me', { token: tok });
        assert.equal(me.json.password_change_required, true);
    });

    test('a bearer token of a one-time account: the same IPP answer, not a JSON 403', async () => {
        const c = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/users`, { token: tree.cA.token,
            body: { username: `onetime.${uniq()}`, role: 'customer_user', active: true } });
        assertStatus(c, 201);
        if (c.json.active === false)
            assertStatus(await srv.request('PATCH', `/api/v1/users/${c.json.id}`, { token: tree.cA.token, body: { active: true } }), 200);
        const t = await srv.login(tree.cA.org.slug, c.json.username, c.json.password);
        const r = await ipp(ippRequest(OP.getJobs), `Bearer ${t.access_token}`);
        assert.equal(r.status, 200);
        assert.equal(r.ippStatus, ST.notAuthorized);
        assert.match(r.ippMessage, /one-time password/);
    });

    test('a locked account: 401 with the Basic challenge, the same answer as a wrong password (AUTH-5), as ipptool shows it', async () => {
        await nextMinute();
        const u = await newUser();
        const wrong = await getJobs(u, 'Wrong-Basic-Pw1!');
        for (let i = 0; i < 2; i++)
            await srv.tryLogin(u.slug, u.username, `Wrong-${i}-Pw2!`);
        assert.equal(await lockedFlag(u), true);
        const locked = await getJobs(u);
        assert.equal(locked.status, 401);
        assert.equal(locked.headers['www-authenticate'], 'Basic realm="quire"');
        assert.equal(locked.text, wrong.text, 'locked answer == wrong password answer');
        assert.doesNotMatch(locked.headers['content-type'], /json/, 'not a JSON body');
        // libcups reads no body with a 401; answered after the request was sent (not before),
        // ipptool shows the IPP status it stands for.
        const t = await ipptool(u, u.password, 'get-jobs.test');
        assert.doesNotMatch(t.out, /No request sent/, t.out);
        assert.match(t.out, /client-error-not-authenticated \(Unauthorized\)/, t.out);
        assert.notEqual(t.code, 0, 'ipptool reports the failure');
    });

    test('an org that requires an emailed code: client-error-forbidden with a message that says what to do', async () => {
        const tr = await createOrgTree(srv, [['pM', { type: 'provider' }],
            ['cM', { parent: 'pM', type: 'customer', users: ['customer_user'] }]]);
        const o = tr.cM;
        const u = o.users.customer_user;
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${o.org.id}`, { token: o.token, body: { mfa_email: true } }), 200, 'MFA on');
        const r = await getJobs(u);
        assert.equal(r.status, 200);
        assert.equal(r.ippStatus, ST.forbidden, 'client-error-forbidden');
        assert.match(r.ippMessage, /code sent by email/);
        // Get-Printer-Attributes still answers (what a client asks before it prints).
        assert.equal((await ipp(ippRequest(OP.gpa), basicOf(u))).ippStatus, ST.ok);
        const t = await ipptool(u, u.password, 'get-jobs.test');
        assert.match(t.out, /code sent by email/, `ipptool shows the status-message:\n${t.out}`);
    });

    test('a throttled address: server-error-busy, even for a remembered credential', async () => {
        await nextMinute();
        const u = await newUser();
        assert.equal((await getJobs(u)).ippStatus, ST.ok, 'remembered');
        // The counters are per clock minute: start at the top of one.
        const now = await srv.clockNow();
        await srv.advanceClock(60 - (now % 60));
        // 20 failures per minute from one address (the default): unknown users, so no lock.
        for (let i = 0; i < 20; i++)
            await srv.tryLogin(u.slug, `nobody.${uniq()}`, `Wrong-${i}-Pw3!`);
        const r = await getJobs(u);
        assert.equal(r.status, 200);
        assert.equal(r.ippStatus, ST.busy, 'server-error-busy');
        assert.match(r.ippMessage, /too many failed logins from your address/);
        await srv.advanceClock(61);
        assert.equal((await getJobs(u)).ippStatus, ST.ok, 'a minute later it prints again');
    });
});
