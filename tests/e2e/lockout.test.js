// SPDX-License-Identifier: Apache-2.0
// Lockout (AUTH-5) on the test clock: 3 failures within 15 minutes lock for 30 minutes;
// identical answers for unknown user, wrong password and locked account; parallel guessing
// evaluates at most 3 passwords; per-source throttling.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    startServer, startPeer, assertStatus, assertError, createOrg, createUser, withinOneSecond, uniq,
} from './lib/server.js';

const WRONG = 'Wrong-Pass-9z!';

let srv;
let rootToken;
let cust;

before(async () => {
    // A high per-source limit: this file makes many failures from one address on purpose.
    srv = await startServer({ env: { QUIRE_LOGIN_THROTTLE_PER_MIN: '100000' } });
    rootToken = await srv.rootToken();
    cust = await createOrg(srv, rootToken, { parentId: srv.root.orgId, type: 'customer' });
});

after(async () => {
    if (srv)
        await srv.stop();
});

/** Renews the admin token (tests move the clock past its lifetime). */
async function adminToken(org = cust) {
    org.token = (await srv.login(org.admin.slug, org.admin.username, org.admin.password)).access_token;
    return org.token;
}

async function freshUser(org = cust) {
    return createUser(srv, await adminToken(org), org.org, { role: 'customer_user' });
}

// Each call a different wrong password: the same one again from the same source counts once
// (AUTH-5, issue 15; lockout_smart below).
let tries = 0;
const wrongPassword = () => WRONG.replace('9z', `${++tries}z`);
const wrong = (u) => srv.tryLogin(u.slug, u.username, wrongPassword());
const right = (u) => srv.tryLogin(u.slug, u.username, u.password);

async function lockedFlag(u, org = cust) {
    const r = await srv.request('GET', `/api/v1/users/${u.id}`, { token: await adminToken(org) });
    assertStatus(r, 200);
    return r.json.locked;
}

async function fail(u, times) {
    for (let i = 0; i < times; i++)
        assertError(await wrong(u), 401, 'invalid_credentials', `wrong password #${i + 1}`);
}

describe('AUTH-5 lockout', () => {
    test('AUTH-5 three wrong passwords lock the account; the right one is then refused the same way', async () => {
        const u = await freshUser();
        const unknown = await srv.tryLogin(u.slug, `nobody.${uniq()}`, u.password);
        const w1 = await wrong(u);
        await fail(u, 2);
        const locked = await right(u);
        assertError(locked, 401, 'invalid_credentials', 'right password on a locked account');
        assert.equal(locked.text, w1.text, 'locked answer == wrong password answer');
        assert.equal(locked.text, unknown.text, 'locked answer == unknown user answer');
        assert.equal(await lockedFlag(u), true, 'the admin sees the account locked');
    });

    test('AUTH-5 two failures do not lock; a success resets the count', async () => {
        const u = await freshUser();
        await fail(u, 2);
        assertStatus(await right(u), 200, 'after 2 failures');
        await fail(u, 2);
        assertStatus(await right(u), 200, 'the count restarted after the success');
        assert.equal(await lockedFlag(u), false);
    });

    test('AUTH-5 failures spread over 14:59 lock the account', async () => {
        const obs = await withinOneSecond(srv, async (u) => {
            await fail(u, 1);
            await srv.advanceClock(899);
            await fail(u, 2);
            return { advanced: 899, r: await right(u) };
        }, { prepare: () => freshUser() });
        assertError(obs.r, 401, 'invalid_credentials', 'locked after 3 failures within 14:59');
    });

    test('AUTH-5 a failure older than 15 minutes does not count (15:01)', async () => {
        const u = await freshUser();
        await fail(u, 1);
        await srv.advanceClock(901);
        await fail(u, 2);
        assertStatus(await right(u), 200, 'only 2 failures within the window');
    });

    test('AUTH-5 the lock lasts exactly 30 minutes: locked at 29:59, unlocked at 30:00', async () => {
        // x probes with its right password at 29:59; y is only looked at by the admin, so
        // that a refused attempt cannot be what keeps it locked. The first two failures
        // happen before the timed section, which must fit in one clock second.
        const obs = await withinOneSecond(srv, async ({ x, y }) => {
            await Promise.all([fail(x, 1), fail(y, 1)]);
            await srv.advanceClock(1799);
            const [xAt2959, tok] = await Promise.all([right(x), adminToken()]);
            const yFlagAt2959 = (await srv.request('GET', `/api/v1/users/${y.id}`, { token: tok })).json;
            await srv.advanceClock(1);
            const [yAt3000, xAt3000] = await Promise.all([right(y), right(x)]);
            return { advanced: 1800, xAt2959, yFlagAt2959, yAt3000, xAt3000 };
        }, {
            prepare: async () => {
                const [x, y] = await Promise.all([freshUser(), freshUser()]);
                await Promise.all([fail(x, 2), fail(y, 2)]);
                return { x, y };
            },
        });
        assertError(obs.xAt2959, 401, 'invalid_credentials', 'still locked at 29:59');
        assert.equal(obs.yFlagAt2959 && obs.yFlagAt2959.locked, true, 'admin view: locked at 29:59');
        assertStatus(obs.yAt3000, 200, 'unlocked by itself at 30:00');
        assertStatus(obs.xAt3000, 200, 'a refused attempt during the lock does not extend it');
    });

    test('AUTH-5 an admin unlocks a locked account', async () => {
        const u = await freshUser();
        await fail(u, 3);
        assertError(await right(u), 401, 'invalid_credentials');
        const tok = await adminToken();
        const r = await srv.request('POST', `/api/v1/users/${u.id}/unlock`, { token: tok });
        assertStatus(r, 204);
        assert.equal(await lockedFlag(u), false);
        assertStatus(await right(u), 200, 'login after unlock');
    });

    test('AUTH-5 a non-admin cannot unlock', async () => {
        const u = await freshUser();
        const other = await freshUser();
        const ot = (await srv.login(other.slug, other.username, other.password)).access_token;
        await fail(u, 3);
        const r = await srv.request('POST', `/api/v1/users/${u.id}/unlock`, { token: ot });
        assertStatus(r, [403, 404]);
        assert.equal(await lockedFlag(u), true);
    });

    test('AUTH-5 a wrong current password at POST /me/password counts; while locked the right one is refused', async () => {
        const u = await freshUser();
        const t = await srv.login(u.slug, u.username, u.password);
        const change = (current) => srv.request('POST', '/api/v1/me/password', { token: t.access_token,
            body: { current_password: current, new_password: 'Another-Pass-8y!' } });
        for (let i = 0; i < 3; i++)
            assertError(await change(wrongPassword()), 403, 'invalid_credentials', `wrong current password #${i + 1}`);
        assertError(await change(u.password), 403, 'invalid_credentials', 'locked: the right current password is refused');
        assertError(await right(u), 401, 'invalid_credentials', 'locked at the login too');
        assert.equal(await lockedFlag(u), true);
    });

    test('AUTH-5 refresh is refused while the account is locked', async () => {
        const u = await freshUser();
        const t = await srv.login(u.slug, u.username, u.password);
        await fail(u, 3);
        const r = await srv.request('POST', '/api/v1/auth/refresh', { body: { refresh_token: t.refresh_token } });
        assertError(r, 401, 'invalid_grant', 'refresh after a lock');
    });

    test('AUTH-5 unknown user, wrong password, locked, inactive account and unknown org get identical answers', async () => {
        const u = await freshUser();
        const inactive = await freshUser();
        const tok = await adminToken();
        assertStatus(await srv.request('PATCH', `/api/v1/users/${inactive.id}`, { token: tok, body: { active: false } }), 200);
        const locked = await freshUser();
        await fail(locked, 3);
        const answers = {
            'unknown user': await srv.tryLogin(u.slug, `ghost.${uniq()}`, u.password),
            'wrong password': await wrong(u),
            'locked (right password)': await right(locked),
            'locked (wrong password)': await wrong(locked),
            'inactive (right password)': await right(inactive),
            'unknown org': await srv.tryLogin(`no-such-org-${uniq()}`, u.username, u.password),
        };
        const ref = answers['wrong password'];
        assertError(ref, 401, 'invalid_credentials');
        for (const [what, r] of Object.entries(answers)) {
            assert.equal(r.status, 401, what);
            assert.equal(r.text, ref.text, `${what}: same body as a wrong password`);
            assert.equal(r.headers['content-type'], ref.headers['content-type'], `${what}: same content type`);
            assert.equal(r.headers['www-authenticate'], ref.headers['www-authenticate'], `${what}: same WWW-Authenticate`);
        }
    });

    test('AUTH-5 50 parallel wrong attempts: locked, and at most 3 passwords were evaluated (audit log)', async () => {
        // A fresh org keeps its audit log small and ours alone.
        const org = await createOrg(srv, await srv.rootToken(), { parentId: srv.root.orgId, type: 'customer' });
        const u = await freshUser(org);
        const rs = await Promise.all(Array.from({ length: 50 }, () => wrong(u)));
        const counts = {};
        for (const r of rs)
            counts[r.status] = (counts[r.status] || 0) + 1;
        assert.deepEqual(counts, { 401: 50 }, 'every attempt answered 401');
        assert.equal(new Set(rs.map((r) => r.text)).size, 1, 'all answers identical');
        assertError(await right(u), 401, 'invalid_credentials', 'locked after the burst');
        assert.equal(await lockedFlag(u, org), true);

        const a = await srv.request('GET', `/api/v1/orgs/${org.org.id}/audit`, { token: await adminToken(org) });
        assertStatus(a, 200);
        const mine = a.json.items.filter((e) => String(e.target_id) === String(u.id) ||
            (e.actor_id !== null && String(e.actor_id) === String(u.id)) ||
            ((e.target_id === null || e.target_id === undefined) && JSON.stringify(e.detail ?? '').includes(u.username)));
        const failed = mine.filter((e) => e.action === 'login_failed');
        const lockedEv = mine.filter((e) => e.action === 'account_locked');
        assert.ok(failed.length >= 1 && failed.length <= 3,
            `AUTH-5 at most 3 passwords evaluated in the burst, audit shows ${failed.length} login_failed`);
        assert.equal(lockedEv.length, 1, `one account_locked event, got ${lockedEv.length}`);
        // Newest first.
        const times = a.json.items.map((e) => e.time);
        const sorted = [...times].sort((x, y) => (x < y ? 1 : x > y ? -1 : 0));
        assert.deepEqual(times, sorted, 'audit items are newest first');
        assert.doesNotMatch(a.text, /Wrong.Pass.\d+z/, 'the tried password is not logged');
    });
});

describe('AUTH-5 per-source throttle', () => {
    for (const [limit, env] of [[5, { QUIRE_LOGIN_THROTTLE_PER_MIN: '5' }], [20, {}]]) {
        test(`AUTH-5 after ${limit} failures a minute from one address, logins answer 429 (${env.QUIRE_LOGIN_THROTTLE_PER_MIN ? 'QUIRE_LOGIN_THROTTLE_PER_MIN' : 'default'})`, async () => {
            const s = await startServer({ env });
            try {
                const rt = (await s.login(s.root.slug, s.root.username, s.root.password)).access_token;
                const org = await createOrg(s, rt, { parentId: s.root.orgId, type: 'customer' });
                const victim = await createUser(s, org.token, org.org, { role: 'customer_user' });
                // Start at the top of a clock minute, in case the throttle counts per clock minute.
                const now = await s.clockNow();
                await s.advanceClock(60 - (now % 60));
                const statuses = [];
                let throttled = null;
                for (let i = 0; i < limit + 5; i++) {
                    // Unknown usernames: the account lock cannot be what refuses us. A client
                    // claiming other addresses is not believed: no proxy is trusted here.
                    const r = await s.tryLogin(org.org.slug, `nobody${i}.${uniq()}`, WRONG,
                        { headers: { 'X-Forwarded-For': `203.0.113.${i + 1}` } });
                    statuses.push(r.status);
                    if (r.status === 429 && !throttled)
                        throttled = r;
                }
                assert.ok(statuses.slice(0, limit - 1).every((x) => x === 401), `first failures are 401: ${statuses}`);
                assert.ok(statuses.slice(limit + 1).every((x) => x === 429), `throttled after ${limit}: ${statuses}`);
                assertError(throttled, 429, 'too_many_requests');
                // The throttle is per source, independent of the account: even the right password waits.
                assertError(await s.tryLogin(victim.slug, victim.username, victim.password), 429, 'too_many_requests', 'right password while throttled');
                await s.advanceClock(61);
                assertStatus(await s.tryLogin(victim.slug, victim.username, victim.password), 200, 'after a minute');
                assertStatus(await s.request('GET', '/healthz'), 200);
            } finally {
                await s.stop();
            }
        });
    }
});

describe('AUTH-5 per-source throttle behind a trusted reverse proxy', () => {
    // Here the test client plays the load balancer: quired trusts 127.0.0.1, so the address
    // the balancer appends to X-Forwarded-For is the source that is counted and audited.
    let s;
    let org;
    before(async () => {
        s = await startServer({ env: { QUIRE_LOGIN_THROTTLE_PER_MIN: '3', QUIRE_TRUSTED_PROXIES: '127.0.0.1, ::1' } });
        const rt = (await s.login(s.root.slug, s.root.username, s.root.password)).access_token;
        org = await createOrg(s, rt, { parentId: s.root.orgId, type: 'customer' });
    });
    after(async () => {
        if (s)
            await s.stop();
    });
    const via = (chain) => ({ headers: { 'X-Forwarded-For': chain } });

    test('AUTH-5 each client behind the balancer has its own count; the balancer itself is not throttled', async () => {
        const u = await createUser(s, org.token, org.org, { role: 'customer_user' });
        const now = await s.clockNow();
        await s.advanceClock(60 - (now % 60));
        // A client that writes its own X-Forwarded-For: only the balancer's entry counts.
        for (let i = 0; i < 3; i++)
            assertStatus(await s.tryLogin(org.org.slug, `nobody${i}.${uniq()}`, WRONG, via(`10.9.9.${i}, 198.51.100.20`)), 401);
        assertError(await s.tryLogin(u.slug, u.username, u.password, via('198.51.100.20')), 429, 'too_many_requests',
            'the fourth failure-counted source is throttled');
        // Everyone else behind the same balancer signs in.
        assertStatus(await s.tryLogin(u.slug, u.username, u.password, via('198.51.100.21')), 200, 'another client');
        assertStatus(await s.tryLogin(u.slug, u.username, u.password), 200, 'the balancer\'s own address');
        await s.advanceClock(61);
        assertStatus(await s.tryLogin(u.slug, u.username, u.password, via('198.51.100.20')), 200, 'a minute later');
    });

    test('REP-4 the audit log shows the client\'s address, not the balancer\'s', async () => {
        const u = await createUser(s, org.token, org.org, { role: 'customer_user' });
        assertStatus(await s.tryLogin(u.slug, u.username, WRONG, via('2001:db8:77::5')), 401);
        assertStatus(await s.tryLogin(u.slug, u.username, u.password, via('192.0.2.44')), 200);
        const admin = (await s.login(org.admin.slug, org.admin.username, org.admin.password)).access_token;
        const a = await s.request('GET', `/api/v1/orgs/${org.org.id}/audit`, { token: admin });
        assertStatus(a, 200);
        const mine = a.json.items.filter((e) => e.target_id === u.id);
        assert.ok(mine.some((e) => e.action === 'login_failed' && e.detail === '2001:db8:77::5'), JSON.stringify(mine));
        assert.ok(mine.some((e) => e.action === 'login_succeeded' && e.detail === '192.0.2.44'), JSON.stringify(mine));
    });

    test('a bad trusted_proxies setting stops quired at start with the entry named', async () => {
        await assert.rejects(startServer({ env: { QUIRE_TRUSTED_PROXIES: '10.0.0.0/8, proxy.example' } }),
            /trusted_proxies: 'proxy\.example' is not an IPv4 or IPv6 address or prefix/);
    });
});

describe('AUTH-5 per-source throttle across servers', () => {
    test('AUTH-5 two servers sharing one database count a source\'s failures together', { skip: !process.env.QUIRE_TEST_PG_URL && 'servers share a database only on PostgreSQL' }, async () => {
        const a = await startServer({ env: { QUIRE_LOGIN_THROTTLE_PER_MIN: '4' } });
        let b = null;
        try {
            b = await startPeer(a);
            const rt = (await a.login(a.root.slug, a.root.username, a.root.password)).access_token;
            const org = await createOrg(a, rt, { parentId: a.root.orgId, type: 'customer' });
            const u = await createUser(a, org.token, org.org, { role: 'customer_user' });
            // Both clocks at the top of the same minute: the counters are per clock minute.
            const now = await a.clockNow();
            const toMinute = 60 - (now % 60);
            await a.advanceClock(toMinute);
            await b.advanceClock(a.clockOffset);
            // Two failures at each server: four from this address in all.
            for (const s of [a, b, a, b])
                assertStatus(await s.tryLogin(org.org.slug, `nobody.${uniq()}`, WRONG), 401);
            for (const s of [a, b])
                assertError(await s.tryLogin(u.slug, u.username, u.password), 429, 'too_many_requests',
                    `the limit holds at the server on port ${s.port} too`);
            await a.advanceClock(61);
            await b.advanceClock(61);
            assertStatus(await b.tryLogin(u.slug, u.username, u.password), 200, 'a minute later');
        } finally {
            if (b)
                await b.halt();
            await a.stop();
        }
    });
});
