// SPDX-License-Identifier: Apache-2.0
// Argon2id runs on a bounded pool: a flood of logins is queued up to a limit and refused
// with 503 past it, while other requests keep being served (issue: foundation; AUTH-5).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus } from './lib/server.js';

let srv;
let token;

before(async () => {
    // One hashing thread with two waiting places: a burst must overflow it.
    srv = await startServer({
        env: { QUIRE_HASH_WORKERS: '1', QUIRE_HASH_QUEUE: '2', QUIRE_LOGIN_THROTTLE_PER_MIN: '100000' },
    });
    token = (await srv.login(srv.root.slug, srv.root.username, srv.root.password)).access_token;
});

after(async () => {
    if (srv)
        await srv.stop();
});

test('AUTH-5 a login flood is bounded by the hash pool and does not starve other requests', async () => {
    const body = { org: srv.root.slug, username: srv.root.username, password: 'Not-the-password-1' };
    const flood = [];
    for (let i = 0; i < 40; i++)
        flood.push(srv.request('POST', '/api/v1/auth/login', { body }));
    // While the flood is queued, ordinary requests are answered.
    const others = [];
    for (let i = 0; i < 10; i++) {
        others.push(srv.request('GET', '/healthz'));
        others.push(srv.request('GET', '/api/v1/me', { token }));
    }
    const [floodRes, otherRes] = await Promise.all([Promise.all(flood), Promise.all(others)]);
    for (const r of otherRes)
        assertStatus(r, 200, 'request during the login flood');
    const busy = floodRes.filter((r) => r.status === 503);
    const refused = floodRes.filter((r) => r.status === 401);
    assert.equal(busy.length + refused.length, floodRes.length,
        `every flooded login is 401 or 503: ${floodRes.map((r) => r.status).join(' ')}`);
    assert.ok(busy.length > 0, 'some logins were turned away with 503 when the queue was full');
    for (const r of busy) {
        assert.equal(r.json.error, 'busy');
    }
    // The server is still fine afterwards.
    assertStatus(await srv.request('GET', '/healthz'), 200, 'after the flood');
});

test('OPS-3 SIGTERM lets queued logins finish, then exits 0', async () => {
    const s = await startServer({
        env: { QUIRE_HASH_WORKERS: '1', QUIRE_HASH_QUEUE: '64', QUIRE_ARGON2_MEMORY_KIB: '65536',
            QUIRE_LOGIN_THROTTLE_PER_MIN: '100000' },
    });
    try {
        const body = { org: s.root.slug, username: 'nobody-at-all', password: 'Not-the-password-1' };
        const reqs = [];
        for (let i = 0; i < 6; i++)
            reqs.push(s.request('POST', '/api/v1/auth/login', { body }));
        // One answer means the hash worker has been busy for one hash; the other five were
        // sent with it and are queued behind it now.
        const first = await Promise.race(reqs);
        assertStatus(first, 401, 'first login');
        s.proc.kill('SIGTERM');
        const all = await Promise.all(reqs);
        for (const r of all)
            assertStatus(r, 401, 'login in flight at SIGTERM');
    } finally {
        await s.stop(); // asserts exit code 0
    }
});
