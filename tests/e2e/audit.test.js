// SPDX-License-Identifier: Apache-2.0
// REP-4 (foundation): every security event and admin change of an organization is written
// to its audit log, with who did it and to what, and no secret in it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus, createOrg, createUser, strongPassword, uniq } from './lib/server.js';

let srv;

before(async () => {
    srv = await startServer();
});

after(async () => {
    if (srv)
        await srv.stop();
});

test('REP-4 security events and admin changes are audited with actor and target, and no secret', async () => {
    const cust = await createOrg(srv, await srv.rootToken(), { parentId: srv.root.orgId, type: 'customer' });
    const admin = cust.token;
    const org = cust.org;
    const secrets = [];
    const as = (token) => ({ token });

    // Admin changes: a user, a group, the org itself, an API client.
    const u = await createUser(srv, admin, org, { role: 'customer_user' });
    secrets.push(u.password);
    assertStatus(await srv.request('PATCH', `/api/v1/users/${u.id}`, { ...as(admin), body: { first_name: 'Audited' } }), 200);
    const g = await srv.request('POST', `/api/v1/orgs/${org.id}/groups`, { ...as(admin), body: { name: 'Auditors' } });
    assertStatus(g, 201);
    assertStatus(await srv.request('PATCH', `/api/v1/groups/${g.json.id}`, { ...as(admin), body: { name: 'Auditors 2' } }), 200);
    assertStatus(await srv.request('DELETE', `/api/v1/groups/${g.json.id}`, as(admin)), 204);
    const cl = await srv.request('POST', `/api/v1/orgs/${org.id}/clients`, { ...as(admin), body: { name: 'Audit app' } });
    assertStatus(cl, 201);
    secrets.push(cl.json.client_secret);
    assertStatus(await srv.request('DELETE', `/api/v1/clients/${cl.json.client_id}`, as(admin)), 204);

    // Security events: a sign-in, wrong passwords up to the lock, the unlock, a password
    // change, refresh-token reuse, logout.
    const t = await srv.login(org.slug, u.username, u.password);
    for (let i = 0; i < 3; i++)
        assertStatus(await srv.tryLogin(org.slug, u.username, `Wrong-pass-${i}`), 401);
    assertStatus(await srv.tryLogin(org.slug, u.username, u.password), 401, 'locked');
    // Someone guessing usernames (or typing a password into the username field).
    const typedName = `Nobody-Secret-${uniq()}`;
    assertStatus(await srv.tryLogin(org.slug, typedName, 'Wrong-pass-1'), 401);
    assertStatus(await srv.request('POST', `/api/v1/users/${u.id}/unlock`, as(admin)), 204);
    const fresh = strongPassword();
    secrets.push(fresh);
    const t2 = await srv.login(org.slug, u.username, u.password);
    assertStatus(await srv.request('POST', '/api/v1/me/password', { ...as(t2.access_token),
        body: { current_password: u.password, new_password: fresh } }), 204);
    const t3 = await srv.login(org.slug, u.username, fresh);
    const r1 = await srv.request('POST', '/api/v1/auth/refresh', { body: { refresh_token: t3.refresh_token } });
    assertStatus(r1, 200);
    assertStatus(await srv.request('POST', '/api/v1/auth/refresh', { body: { refresh_token: t3.refresh_token } }), 401, 'reuse');
    const t4 = await srv.login(org.slug, u.username, fresh);
    assertStatus(await srv.request('POST', '/api/v1/auth/logout', as(t4.access_token)), 204);
    assertStatus(await srv.request('DELETE', `/api/v1/users/${u.id}`, as(admin)), 204);
    secrets.push(t.access_token, t.refresh_token, t3.refresh_token);

    const a = await srv.request('GET', `/api/v1/orgs/${org.id}/audit?limit=500`, as(admin));
    assertStatus(a, 200);
    assert.equal(a.json.next, null, 'REP-4 every event on one page of 500 (paging: exports.test.js)');
    const items = a.json.items;
    const find = (action, pred = () => true) => items.filter((e) => e.action === action && pred(e));
    const adminId = cust.admin.id;
    const expect = [
        ['user_created', (e) => e.actor_id === adminId && e.target_id === u.id],
        ['user_updated', (e) => e.actor_id === adminId && e.target_id === u.id],
        ['group_created', (e) => e.actor_id === adminId && e.target_id === g.json.id],
        ['group_renamed', (e) => e.actor_id === adminId && e.target_id === g.json.id],
        ['group_deleted', (e) => e.actor_id === adminId && e.target_id === g.json.id],
        ['client_created', (e) => e.actor_id === adminId && e.target_id === cl.json.client_id],
        ['client_deleted', (e) => e.actor_id === adminId && e.target_id === cl.json.client_id],
        ['login_succeeded', (e) => e.target_id === u.id],
        ['login_failed', (e) => e.target_id === u.id],
        ['account_locked', (e) => e.target_id === u.id],
        ['account_unlocked', (e) => e.actor_id === adminId && e.target_id === u.id],
        ['password_changed', (e) => e.actor_id === u.id && e.target_id === u.id],
        ['refresh_token_reused', () => true],
        ['logout', () => true],
        ['user_deleted', (e) => e.actor_id === adminId && e.target_id === u.id],
    ];
    for (const [action, pred] of expect)
        assert.ok(find(action, pred).length >= 1, `REP-4 "${action}" is audited with its actor and target: ${JSON.stringify(find(action))}`);
    assert.equal(find('login_failed', (e) => e.target_id === u.id).length, 3, 'each failed password once');
    assert.equal(find('login_refused_locked', (e) => e.target_id === u.id && e.actor_id === null).length, 1,
        'REP-4 an attempt on the locked account is audited');
    assert.equal(find('login_failed', (e) => e.target_id === null && e.actor_id === null).length, 1,
        'REP-4 a login with an unknown username is audited in the organization');
    assert.ok(!a.text.includes(typedName), 'the typed unknown username is not recorded (it may be a password)');
    for (const s of secrets)
        assert.ok(!a.text.includes(s), 'no password, secret or token in the audit log');
    assert.doesNotMatch(a.text, /\$argon2/);
    assert.doesNotMatch(a.text, /Wrong-pass-1/, 'not even a wrong password');
});
