// SPDX-License-Identifier: Apache-2.0
// Tenant isolation (TEN-2) and the role matrix (TEN-3) through the API, with real ids that the
// owners obtained: nobody reads or changes another organization's users, groups or audit log.
//
//   root ── pA ── cA1            (customer: admin, print_manager, customer_user, guest_user)
//        │     └─ pA2 ── cA22    (customer: admin, customer_user)
//        └─ pB ── cB1            (customer: admin, print_manager, customer_user, guest_user)

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
    startServer, assertStatus, assertError, createOrg, createUser, tokenOf, strongPassword, uniq,
} from './lib/server.js';

let srv;
const orgs = {};    // key -> {key, parent, org, users: [user], groups: [group]}
const callers = {}; // name -> {name, orgKey, role, user, token}
let snapshot;       // state before the attacks, as seen by the owners

const ORG_KEYS = ['root', 'pA', 'pA2', 'cA1', 'cA22', 'pB', 'cB1'];
const CALLER_NAMES = [
    'root.provider_admin', 'pA.provider_admin', 'pA.provider_support',
    'cA1.customer_admin', 'cA1.print_manager', 'cA1.customer_user', 'cA1.guest_user',
    'pB.provider_admin',
];
const ADMIN_ROLES = new Set(['provider_admin', 'customer_admin']);
const PARENT = { root: null, pA: 'root', pA2: 'pA', cA1: 'pA', cA22: 'pA2', pB: 'root', cB1: 'pB' };

/** {orgKey, role} of a caller name such as "cA1.print_manager". */
function who(cname) {
    const i = cname.indexOf('.');
    return { orgKey: cname.slice(0, i), role: cname.slice(i + 1) };
}

function addCaller(orgKey, role, user, token) {
    const name = `${orgKey}.${role}`;
    callers[name] = { name, orgKey, role, user, token };
}

async function addOrg(key, parentKey, type) {
    const parent = orgs[parentKey];
    const adminCaller = callers[`${parentKey}.provider_admin`];
    const o = await createOrg(srv, adminCaller.token, { parentId: parent.org.id, type, slug: `${key.toLowerCase()}-${uniq()}` });
    assert.equal(o.admin.role, type === 'provider' ? 'provider_admin' : 'customer_admin', `admin role of new ${type} org`);
    const adminUser = { id: o.admin.id, username: o.admin.username, role: o.admin.role, password: o.admin.password, slug: o.org.slug };
    orgs[key] = { key, parent: parentKey, org: o.org, users: [adminUser], groups: [] };
    addCaller(key, o.admin.role, adminUser, o.token);
    return orgs[key];
}

async function addUser(key, role) {
    const o = orgs[key];
    const adminToken = callers[`${key}.${o.org.type === 'provider' ? 'provider_admin' : 'customer_admin'}`].token;
    const u = await createUser(srv, adminToken, o.org, { role });
    o.users.push(u);
    addCaller(key, role, u, await tokenOf(srv, u));
    return u;
}

async function addGroup(key) {
    const o = orgs[key];
    const adminToken = callers[`${key}.customer_admin`].token;
    const r = await srv.request('POST', `/api/v1/orgs/${o.org.id}/groups`, { token: adminToken, body: { name: `Team ${uniq()}` } });
    assertStatus(r, 201, `create group in ${key}`);
    const g = r.json;
    for (const u of o.users.slice(0, 2)) {
        const m = await srv.request('PUT', `/api/v1/groups/${g.id}/members/${u.id}`, { token: adminToken });
        assertStatus(m, 204, `add member to group in ${key}`);
    }
    o.groups.push(g);
}

/** What the owners see: users and groups of every org (by its admin), every org record (by root). */
async function ownerView() {
    const view = {};
    const rootTok = callers['root.provider_admin'].token;
    for (const key of ORG_KEYS) {
        const o = orgs[key];
        const adminName = `${key}.${o.org.type === 'provider' ? 'provider_admin' : 'customer_admin'}`;
        const t = callers[adminName].token;
        const users = await srv.request('GET', `/api/v1/orgs/${o.org.id}/users`, { token: t });
        assertStatus(users, 200, `owner lists users of ${key}`);
        const groups = await srv.request('GET', `/api/v1/orgs/${o.org.id}/groups`, { token: t });
        assertStatus(groups, 200, `owner lists groups of ${key}`);
        const rec = await srv.request('GET', `/api/v1/orgs/${o.org.id}`, { token: rootTok });
        assertStatus(rec, 200, `root reads org ${key}`);
        const byId = (a, b) => String(a.id).localeCompare(String(b.id));
        view[key] = {
            users: [...users.json.items].sort(byId),
            groups: [...groups.json.items].map((g) => ({ ...g, members: [...g.members].sort() })).sort(byId),
            org: rec.json,
        };
    }
    return view;
}

before(async () => {
    srv = await startServer();
    const rootTok = await srv.rootToken();
    const me = await srv.request('GET', '/api/v1/me', { token: rootTok });
    assertStatus(me, 200);
    const rootOrg = await srv.request('GET', `/api/v1/orgs/${srv.root.orgId}`, { token: rootTok });
    assertStatus(rootOrg, 200);
    orgs.root = { key: 'root', parent: null, org: rootOrg.json, users: [{ ...me.json, password: srv.root.password, slug: srv.root.slug }], groups: [] };
    addCaller('root', me.json.role, orgs.root.users[0], rootTok);
    assert.equal(me.json.role, 'provider_admin', 'bootstrap user is the root provider admin');

    await addOrg('pA', 'root', 'provider');
    await addUser('pA', 'provider_support');
    await addOrg('pB', 'root', 'provider');
    await addOrg('cA1', 'pA', 'customer');
    for (const role of ['print_manager', 'customer_user', 'guest_user'])
        await addUser('cA1', role);
    await addOrg('pA2', 'pA', 'provider');
    await addOrg('cA22', 'pA2', 'customer');
    await addUser('cA22', 'customer_user');
    await addOrg('cB1', 'pB', 'customer');
    for (const role of ['print_manager', 'customer_user', 'guest_user'])
        await addUser('cB1', role);
    for (const key of ['cA1', 'cA22', 'cB1'])
        await addGroup(key);
    snapshot = await ownerView();
});

after(async () => {
    if (srv)
        await srv.stop();
});

function isAdminOf(c, key) {
    return c.orgKey === key && ADMIN_ROLES.has(c.role);
}

/** true: the caller may read org key's record; false: it may not; null: the contract leaves
 * it open (print_manager and guest_user reading their own org record). */
function canSeeOrg(c, key) {
    if (c.orgKey === 'root')
        return true; // TEN-7: the root provider views its whole tree
    if (c.orgKey === key)
        return ['print_manager', 'guest_user'].includes(c.role) ? null : true;
    if (c.role.startsWith('provider_') && PARENT[key] === c.orgKey)
        return true; // direct child
    return false;
}

/** May the caller edit org key's record (name)? */
function canEditOrg(c, key) {
    if (c.role === 'provider_admin' && PARENT[key] === c.orgKey)
        return true;
    return isAdminOf(c, key);
}

function validRole(key) {
    return orgs[key].org.type === 'provider' ? 'provider_support' : 'customer_user';
}

describe('TEN-2/TEN-3 users, groups and audit of other orgs', () => {
    for (const cname of CALLER_NAMES) {
        for (const key of ORG_KEYS) {
            const own = cname.startsWith(`${key}.`);
            const id = own ? 'TEN-3' : 'TEN-2';
            if (isAdminOf(who(cname), key))
                continue; // own-org admin: covered by the CRUD tests
            test(`${id} ${cname} cannot read or change users, groups or audit of ${own ? 'own org ' : ''}${key}`, async () => {
                const c = callers[cname];
                const o = orgs[key];
                const tok = c.token;
                const lenient = own && c.role === 'print_manager'; // print-quota settings only: reads of single users are open
                const what = (s) => `${cname} ${s} (${key})`;

                for (const sub of ['users', 'groups', 'audit']) {
                    const r = await srv.request('GET', `/api/v1/orgs/${o.org.id}/${sub}`, { token: tok });
                    assertError(r, 404, 'not_found', what(`GET ${sub}`));
                }
                const seesOrg = canSeeOrg(c, key);
                const writeStatus = seesOrg === false ? 404 : [403, 404];
                const cu = await srv.request('POST', `/api/v1/orgs/${o.org.id}/users`, {
                    token: tok, body: { username: `mallory.${uniq()}`, role: validRole(key), password: strongPassword() },
                });
                assertStatus(cu, writeStatus, what('POST users'));
                const cg = await srv.request('POST', `/api/v1/orgs/${o.org.id}/groups`, { token: tok, body: { name: `Evil ${uniq()}` } });
                assertStatus(cg, writeStatus, what('POST groups'));

                for (const u of o.users) {
                    if (u.id === c.user.id)
                        continue;
                    const base = `/api/v1/users/${u.id}`;
                    if (!lenient) {
                        assertError(await srv.request('GET', base, { token: tok }), 404, 'not_found', what(`GET user ${u.username}`));
                        assertError(await srv.request('PATCH', base, { token: tok, body: { first_name: 'Mallory' } }), 404, 'not_found', what('PATCH user'));
                        assertError(await srv.request('PATCH', base, { token: tok, body: { role: validRole(key) } }), 404, 'not_found', what('PATCH user role'));
                        assertError(await srv.request('PATCH', base, { token: tok, body: { password: strongPassword() } }), 404, 'not_found', what('PATCH user password'));
                        // Issue 13: the one exception, a direct parent's provider admin or
                        // support helping the child's admin account (nothing else of it).
                        const helps = c.role.startsWith('provider_') && PARENT[key] === c.orgKey && ADMIN_ROLES.has(u.role);
                        if (helps)
                            assertStatus(await srv.request('POST', `${base}/unlock`, { token: tok }), 204, what('unlock child admin'));
                        else
                            assertError(await srv.request('POST', `${base}/unlock`, { token: tok }), 404, 'not_found', what('unlock user'));
                        assertError(await srv.request('DELETE', base, { token: tok }), 404, 'not_found', what('DELETE user'));
                    } else {
                        assertStatus(await srv.request('PATCH', base, { token: tok, body: { role: 'customer_admin' } }), [403, 404], what('PATCH user role'));
                        assertStatus(await srv.request('PATCH', base, { token: tok, body: { password: strongPassword() } }), [403, 404], what('PATCH user password'));
                        assertStatus(await srv.request('DELETE', base, { token: tok }), [403, 404], what('DELETE user'));
                    }
                }
                for (const g of o.groups) {
                    const base = `/api/v1/groups/${g.id}`;
                    assertError(await srv.request('GET', base, { token: tok }), 404, 'not_found', what('GET group'));
                    assertError(await srv.request('PATCH', base, { token: tok, body: { name: 'pwned' } }), 404, 'not_found', what('PATCH group'));
                    assertError(await srv.request('PUT', `${base}/members/${c.user.id}`, { token: tok }), 404, 'not_found', what('PUT self into group'));
                    assertError(await srv.request('DELETE', `${base}/members/${g.members[0] ?? o.users[0].id}`, { token: tok }), 404, 'not_found', what('DELETE group member'));
                    assertError(await srv.request('DELETE', base, { token: tok }), 404, 'not_found', what('DELETE group'));
                }
            });
        }
    }
});

describe('TEN-1/TEN-2 organization records', () => {
    for (const cname of CALLER_NAMES) {
        for (const key of ORG_KEYS) {
            const sees = canSeeOrg(who(cname), key);
            if (sees === null)
                continue; // left open by the contract
            test(`TEN-2 ${cname} ${sees ? 'reads' : 'cannot read'} org ${key}`, async () => {
                const c = callers[cname];
                const o = orgs[key];
                const r = await srv.request('GET', `/api/v1/orgs/${o.org.id}`, { token: c.token });
                if (sees) {
                    assertStatus(r, 200, `${cname} GET org ${key}`);
                    assert.equal(r.json.id, o.org.id);
                    if (!canEditOrg(c, key)) {
                        const p = await srv.request('PATCH', `/api/v1/orgs/${o.org.id}`, { token: c.token, body: { name: o.org.name } });
                        assertError(p, 403, ['forbidden', 'read_only_field'], `${cname} PATCH visible org ${key}`);
                    }
                } else {
                    assertError(r, 404, 'not_found', `${cname} GET org ${key}`);
                    const p = await srv.request('PATCH', `/api/v1/orgs/${o.org.id}`, { token: c.token, body: { name: o.org.name } });
                    assertError(p, 404, 'not_found', `${cname} PATCH invisible org ${key}`);
                    const child = await srv.request('POST', '/api/v1/orgs', {
                        token: c.token, body: { parent_id: o.org.id, type: 'customer', name: 'Intruder', slug: `intr-${uniq()}` },
                    });
                    assertStatus(child, 404, `${cname} creates a child under invisible org ${key}`);
                }
            });
        }
    }

    test('TEN-1 provider admin lists own org and direct children only, not the grandchild', async () => {
        const c = callers['pA.provider_admin'];
        const r = await srv.request('GET', '/api/v1/orgs', { token: c.token });
        assertStatus(r, 200);
        const ids = new Set(r.json.items.map((o) => o.id));
        assert.deepEqual(ids, new Set([orgs.pA.org.id, orgs.cA1.org.id, orgs.pA2.org.id]));
        assertError(await srv.request('GET', `/api/v1/orgs/${orgs.cA22.org.id}`, { token: c.token }), 404, 'not_found');
        assertStatus(await srv.request('GET', `/api/v1/orgs/${orgs.pA2.org.id}`, { token: c.token }), 200);
    });

    test('TEN-7 root provider admin sees the whole tree', async () => {
        const c = callers['root.provider_admin'];
        const r = await srv.request('GET', '/api/v1/orgs', { token: c.token });
        assertStatus(r, 200);
        const ids = new Set(r.json.items.map((o) => o.id));
        for (const key of ORG_KEYS)
            assert.ok(ids.has(orgs[key].org.id), `root lists ${key}`);
        for (const key of ORG_KEYS)
            assertStatus(await srv.request('GET', `/api/v1/orgs/${orgs[key].org.id}`, { token: c.token }), 200, `root reads ${key}`);
    });

    test('TEN-2 customer user lists only its own org', async () => {
        const c = callers['cA1.customer_user'];
        const r = await srv.request('GET', '/api/v1/orgs', { token: c.token });
        assertStatus(r, 200);
        assert.deepEqual(r.json.items.map((o) => o.id), [orgs.cA1.org.id]);
    });

    test('TEN-2 provider B admin sees nothing of provider A', async () => {
        const c = callers['pB.provider_admin'];
        const r = await srv.request('GET', '/api/v1/orgs', { token: c.token });
        assertStatus(r, 200);
        const ids = new Set(r.json.items.map((o) => o.id));
        assert.deepEqual(ids, new Set([orgs.pB.org.id, orgs.cB1.org.id]));
    });
});

describe('TEN-3 named cells', () => {
    test('TEN-3 provider admin cannot list users of its customer child (404)', async () => {
        const r = await srv.request('GET', `/api/v1/orgs/${orgs.cA1.org.id}/users`, { token: callers['pA.provider_admin'].token });
        assertError(r, 404, 'not_found');
    });

    test('TEN-3 provider support cannot list users of its customer child (404)', async () => {
        const r = await srv.request('GET', `/api/v1/orgs/${orgs.cA1.org.id}/users`, { token: callers['pA.provider_support'].token });
        assertError(r, 404, 'not_found');
    });

    test('TEN-3 root provider admin cannot list users of a customer grandchild (404)', async () => {
        const r = await srv.request('GET', `/api/v1/orgs/${orgs.cA1.org.id}/users`, { token: callers['root.provider_admin'].token });
        assertError(r, 404, 'not_found');
    });

    test('TEN-3 customer user cannot list users of own org (404)', async () => {
        const r = await srv.request('GET', `/api/v1/orgs/${orgs.cA1.org.id}/users`, { token: callers['cA1.customer_user'].token });
        assertError(r, 404, 'not_found');
    });

    test('TEN-3 customer user cannot read another user of own org, not even the name (404)', async () => {
        const c = callers['cA1.customer_user'];
        const admin = orgs.cA1.users[0];
        const r = await srv.request('GET', `/api/v1/users/${admin.id}`, { token: c.token });
        assertError(r, 404, 'not_found');
        assert.ok(!r.text.includes(admin.username), 'the answer does not leak the username');
    });

    test('TEN-3 print manager cannot list users of own org (404)', async () => {
        const r = await srv.request('GET', `/api/v1/orgs/${orgs.cA1.org.id}/users`, { token: callers['cA1.print_manager'].token });
        assertError(r, 404, 'not_found');
    });

    test('TEN-3 guest user cannot list users of own org (404)', async () => {
        const r = await srv.request('GET', `/api/v1/orgs/${orgs.cA1.org.id}/users`, { token: callers['cA1.guest_user'].token });
        assertError(r, 404, 'not_found');
    });

    test('TEN-3 customer admin cannot add a user of another org to own group', async () => {
        const c = callers['cA1.customer_admin'];
        const g = orgs.cA1.groups[0];
        const foreign = orgs.cB1.users[2];
        const r = await srv.request('PUT', `/api/v1/groups/${g.id}/members/${foreign.id}`, { token: c.token });
        assertStatus(r, [400, 404], 'foreign member');
    });

    test('REP-4 customer admin reads own audit log; nobody else in the org does', async () => {
        const r = await srv.request('GET', `/api/v1/orgs/${orgs.cA1.org.id}/audit`, { token: callers['cA1.customer_admin'].token });
        assertStatus(r, 200);
        assert.ok(Array.isArray(r.json.items));
        for (const role of ['print_manager', 'customer_user', 'guest_user']) {
            const x = await srv.request('GET', `/api/v1/orgs/${orgs.cA1.org.id}/audit`, { token: callers[`cA1.${role}`].token });
            assertError(x, 404, 'not_found', role);
        }
    });

    test('TEN-2 nothing changed after all the attempts above', async () => {
        assert.deepEqual(await ownerView(), snapshot);
    });
});

describe('TEN-3 customer admin manages own users and groups', () => {
    test('TEN-3 customer admin creates, reads, updates, lists and deletes a user of own org', async () => {
        const c = callers['cA1.customer_admin'];
        const org = orgs.cA1.org;
        const username = `crud.${uniq()}`;
        const password = strongPassword();
        const cr = await srv.request('POST', `/api/v1/orgs/${org.id}/users`, {
            token: c.token, body: { username, role: 'customer_user', password, email: 'crud@example.com', first_name: 'Cruz', last_name: 'Dale' },
        });
        assertStatus(cr, 201);
        const u = cr.json;
        assert.equal(u.username, username);
        assert.equal(u.org_id, org.id);
        assert.equal(u.role, 'customer_user');
        assert.equal(u.email, 'crud@example.com');
        assert.equal(u.password, undefined, 'a given password is not echoed');
        const list = await srv.request('GET', `/api/v1/orgs/${org.id}/users`, { token: c.token });
        assertStatus(list, 200);
        assert.ok(list.json.items.some((x) => x.id === u.id));
        const g = await srv.request('GET', `/api/v1/users/${u.id}`, { token: c.token });
        assertStatus(g, 200);
        assert.equal(g.json.username, username);
        const p = await srv.request('PATCH', `/api/v1/users/${u.id}`, { token: c.token, body: { first_name: 'Cruzita', role: 'print_manager' } });
        assertStatus(p, 200);
        assert.equal(p.json.first_name, 'Cruzita');
        assert.equal(p.json.role, 'print_manager');
        const dup = await srv.request('POST', `/api/v1/orgs/${org.id}/users`, {
            token: c.token, body: { username, role: 'customer_user', password: strongPassword() },
        });
        assertError(dup, 409, 'conflict', 'username taken in org');
        const d = await srv.request('DELETE', `/api/v1/users/${u.id}`, { token: c.token });
        assertStatus(d, 204);
        assertError(await srv.request('GET', `/api/v1/users/${u.id}`, { token: c.token }), 404, 'not_found');
        const l = await srv.tryLogin(org.slug, username, password);
        assertError(l, 401, 'invalid_credentials', 'deleted user logs in');
    });

    test('TEN-3 customer admin creates, reads, updates and deletes a group of own org with members', async () => {
        const c = callers['cA1.customer_admin'];
        const org = orgs.cA1.org;
        const cr = await srv.request('POST', `/api/v1/orgs/${org.id}/groups`, { token: c.token, body: { name: 'Accounting' } });
        assertStatus(cr, 201);
        const g = cr.json;
        assert.equal(g.org_id, org.id);
        assert.equal(g.name, 'Accounting');
        assert.deepEqual(g.members, []);
        const member = orgs.cA1.users[2];
        assertStatus(await srv.request('PUT', `/api/v1/groups/${g.id}/members/${member.id}`, { token: c.token }), 204);
        let r = await srv.request('GET', `/api/v1/groups/${g.id}`, { token: c.token });
        assertStatus(r, 200);
        assert.deepEqual(r.json.members, [member.id]);
        r = await srv.request('PATCH', `/api/v1/groups/${g.id}`, { token: c.token, body: { name: 'Finance' } });
        assertStatus(r, 200);
        assert.equal(r.json.name, 'Finance');
        const list = await srv.request('GET', `/api/v1/orgs/${org.id}/groups`, { token: c.token });
        assert.ok(list.json.items.some((x) => x.id === g.id && x.name === 'Finance'));
        assertStatus(await srv.request('DELETE', `/api/v1/groups/${g.id}/members/${member.id}`, { token: c.token }), 204);
        r = await srv.request('GET', `/api/v1/groups/${g.id}`, { token: c.token });
        assert.deepEqual(r.json.members, []);
        assertStatus(await srv.request('DELETE', `/api/v1/groups/${g.id}`, { token: c.token }), 204);
        assertError(await srv.request('GET', `/api/v1/groups/${g.id}`, { token: c.token }), 404, 'not_found');
    });

    test('TEN-3 own-org admin sees its audit log record the user changes', async () => {
        const c = callers['cA1.customer_admin'];
        const r = await srv.request('GET', `/api/v1/orgs/${orgs.cA1.org.id}/audit`, { token: c.token });
        assertStatus(r, 200);
        assert.ok(r.json.items.length > 0, 'user and group changes are audited');
        for (const e of r.json.items) {
            for (const k of ['id', 'time', 'actor_id', 'action', 'target_id', 'detail'])
                assert.ok(k in e, `audit item has ${k}`);
        }
        assert.doesNotMatch(r.text, /Quire-Test-7x!/, 'no password in the audit log');
    });
});

describe('TEN-1/TEN-2 deleting organizations one may not delete', () => {
    test('TEN-2 DELETE of an org is 404 if invisible, 403 if visible but not the parent admin', async () => {
        for (const cname of CALLER_NAMES) {
            const c = callers[cname];
            for (const key of ORG_KEYS) {
                if (key === 'root' || canEditOrg(c, key) && !isAdminOf(c, key))
                    continue; // root is never deleted here; parent admins may delete
                const sees = canSeeOrg(c, key);
                if (sees === null)
                    continue;
                const r = await srv.request('DELETE', `/api/v1/orgs/${orgs[key].org.id}`, { token: c.token });
                if (sees)
                    assertError(r, 403, 'forbidden', `${cname} DELETE visible org ${key}`);
                else
                    assertError(r, 404, 'not_found', `${cname} DELETE invisible org ${key}`);
            }
        }
    });

    test('TEN-2 nothing changed at the end', async () => {
        assert.deepEqual(await ownerView(), snapshot);
    });
});
