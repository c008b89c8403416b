// SPDX-License-Identifier: Apache-2.0
// REP-4: the audit log is a hash chain per organization. `quire audit verify` walks every
// org's chain against the server's database and names the first broken link after a row was
// edited or removed there with sqlite3 / psql; concurrent audited requests of one org never
// fork the chain.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, assertStatus, createOrg, run, sqlLiteral, QUIRE } from './lib/server.js';

let srv, root, cust;

before(async () => {
    // Enough HTTP threads that audited requests of one org really run at the same time.
    srv = await startServer({ env: { QUIRE_THREADS: '8' } });
    root = await srv.rootToken();
    cust = await createOrg(srv, root, { parentId: srv.root.orgId, type: 'customer' });
});

after(async () => {
    if (srv)
        await srv.stop();
});

const verify = (...args) => run(QUIRE, ['audit', 'verify', ...args], srv.env);

async function auditIds(orgId) {
    const out = await srv.sql(`SELECT id FROM audit WHERE org_id = ${sqlLiteral(orgId)} ORDER BY id`);
    return out.split('\n').filter(Boolean).map(Number);
}

/** The line verify printed for an org. */
function lineOf(stdout, orgId) {
    return stdout.split('\n').find((l) => l.startsWith(`org ${orgId}:`));
}

test('REP-4 concurrent audited changes of one org keep one chain, and verify says it holds', async () => {
    // 40 groups created at once: 40 audit entries written by concurrent transactions.
    const made = await Promise.all(Array.from({ length: 40 }, (_, i) => srv.request('POST',
        `/api/v1/orgs/${cust.org.id}/groups`, { token: cust.token, body: { name: `team ${i}` } })));
    for (const r of made)
        assertStatus(r, 201, 'create group');
    const ids = await auditIds(cust.org.id);
    assert.ok(ids.length >= 40 + 2, `org creation, password change and 40 groups are audited: ${ids.length}`);
    const r = await verify();
    assert.equal(r.code, 0, `verify exits 0: ${r.stdout} ${r.stderr}`);
    const line = lineOf(r.stdout, cust.org.id);
    assert.match(line, new RegExp(`: ${ids.length} entries checked, chain intact, head [0-9a-f]{64}$`));
    assert.match(lineOf(r.stdout, srv.root.orgId), /chain intact/);
    const one = await verify('--org', cust.org.id);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(lineOf(one.stdout, cust.org.id), line);
    assert.equal(lineOf(one.stdout, srv.root.orgId), undefined, '--org checks that org only');
});

test('REP-4 an edited row breaks the chain at that row; a deleted one at the row after it', async () => {
    const other = await createOrg(srv, root, { parentId: srv.root.orgId, type: 'customer' });
    for (let i = 0; i < 3; i++)
        assertStatus(await srv.request('POST', `/api/v1/orgs/${other.org.id}/groups`,
            { token: other.token, body: { name: `g${i}` } }), 201, 'create group');
    const ids = await auditIds(other.org.id);
    const victim = ids[2];
    const [time, action] = (await srv.sql(`SELECT time, action FROM audit WHERE id = ${victim}`)).split('|');
    const original = await srv.sql(`SELECT detail FROM audit WHERE id = ${victim}`);
    await srv.sql(`UPDATE audit SET detail = 'nothing to see' WHERE id = ${victim}`);
    let r = await verify();
    assert.equal(r.code, 1, `verify exits 1: ${r.stdout}`);
    assert.equal(lineOf(r.stdout, other.org.id),
        `org ${other.org.id}: BROKEN at entry ${victim} (time ${time} = ` +
        `${new Date(Number(time) * 1000).toISOString().replace('.000', '')}, action ${action}): ` +
        'the entry\'s content does not match its hash (the entry was changed); 2 entries before it hold');
    assert.match(lineOf(r.stdout, cust.org.id), /chain intact/, 'another org is not affected');
    assert.match(r.stdout, /audit chain broken in 1 organization\n$/);
    assert.equal((await verify('--org', cust.org.id)).code, 0);

    // The detail put back, the chain holds again; then the time of the last row edited.
    await srv.sql(`UPDATE audit SET detail = ${sqlLiteral(original)} WHERE id = ${victim}`);
    assert.equal((await verify('--org', other.org.id)).code, 0, 'restored row verifies');
    const last = ids[ids.length - 1];
    await srv.sql(`UPDATE audit SET time = time + 1 WHERE id = ${last}`);
    r = await verify('--org', other.org.id);
    assert.equal(r.code, 1);
    assert.match(lineOf(r.stdout, other.org.id),
        new RegExp(`BROKEN at entry ${last} .*; ${ids.length - 1} entries before it hold$`));

    // A third org: a middle row deleted.
    const third = await createOrg(srv, root, { parentId: srv.root.orgId, type: 'customer' });
    for (let i = 0; i < 3; i++)
        assertStatus(await srv.request('POST', `/api/v1/orgs/${third.org.id}/groups`,
            { token: third.token, body: { name: `g${i}` } }), 201, 'create group');
    const tids = await auditIds(third.org.id);
    await srv.sql(`DELETE FROM audit WHERE id = ${tids[2]}`);
    r = await verify('--org', third.org.id);
    assert.equal(r.code, 1);
    assert.match(lineOf(r.stdout, third.org.id),
        new RegExp(`BROKEN at entry ${tids[3]} .*an entry before it was removed, inserted or changed\\); 2 entries before it hold$`));
});

test('REP-4 quire audit verify: bad arguments exit 2 with one line on stderr', async () => {
    for (const args of [['--bogus'], ['--org'], ['--org', 'not-an-id'],
        ['--org', '0123456789abcdef0123456789abcdef']]) {
        const r = await verify(...args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    const r = await run(QUIRE, ['audit'], srv.env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /verify/);
});
