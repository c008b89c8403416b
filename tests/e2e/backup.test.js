// SPDX-License-Identifier: Apache-2.0
// SEC-3 backups: `quire backup` while quired serves, `quire restore` after it stops; the
// file is encrypted and authenticated (an altered one changes nothing); automatic daily
// backups on the test clock, kept 7 days. Runs on SQLite and PostgreSQL alike.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, assertStatus, createOrgTree, createUser, tokenOf, run, QUIRE } from './lib/server.js';
import { pdfDoc, text } from './lib/pdf.js';

const quire = (srv, ...args) => run(QUIRE, args, srv.env);

/** Runs `quire backup` (into dir if given); returns the path it printed. */
async function backup(srv, dir = null) {
    const r = await quire(srv, 'backup', ...(dir ? ['--dir', dir] : []));
    assert.equal(r.code, 0, `quire backup: ${r.stderr}`);
    const file = r.stdout.trim();
    assert.ok(fs.existsSync(file), `the printed path exists: ${file}`);
    return file;
}

describe('SEC-3 backup and restore', () => {
    let srv;
    let tree;
    before(async () => {
        srv = await startServer();
        tree = await createOrgTree(srv, [
            ['pA', { type: 'provider' }],
            ['cA', { parent: 'pA', type: 'customer', users: ['customer_user'] }],
        ]);
    });
    after(async () => {
        if (srv)
            await srv.stop();
    });

    test('SEC-3 a backup taken while quired serves restores users and documents; the file shows nothing in the clear', async () => {
        const owner = tree.cA.users.customer_user;
        const t = await tokenOf(srv, owner);
        const job = await srv.request('POST', '/api/v1/jobs?name=contract.pdf', {
            token: t, rawBody: pdfDoc({ contents: [text('BACKUP-SECRET-MARKER')] }),
            headers: { 'Content-Type': 'application/pdf' } });
        assertStatus(job, 201, 'submit');
        const blob = path.join(srv.dataDir, 'blobs', tree.cA.org.id, job.json.id);
        const stored = fs.readFileSync(blob);

        const file = await backup(srv);
        assert.match(path.basename(file), /^quire-backup-\d{8}T\d{6}Z$/);
        assert.equal(path.dirname(file), path.join(srv.dataDir, 'backups'), 'default backup_dir');
        assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'only the service user reads it');
        const bytes = fs.readFileSync(file);
        for (const clear of [owner.username, 'SQLite format 3', 'PGDMP', 'manifest.json', 'ustar'])
            assert.ok(!bytes.includes(clear), `"${clear}" is not in the backup in the clear`);

        // Changes after the backup: the document deleted, a user added.
        assertStatus(await srv.request('DELETE', `/api/v1/jobs/${job.json.id}`, { token: t }), 204);
        const later = await createUser(srv, tree.cA.token, tree.cA.org, { role: 'customer_user' });
        assert.ok(!fs.existsSync(blob));

        const busy = await quire(srv, 'restore', file);
        assert.equal(busy.code, 1, 'refused while quired runs');
        assert.match(busy.stderr, /quired is running on .*: stop every server first/);

        await srv.halt();
        const r = await quire(srv, 'restore', file);
        assert.equal(r.code, 0, `quire restore: ${r.stderr}`);
        assert.match(r.stdout, /^restored /);
        await srv.spawn();

        assert.ok(fs.readFileSync(blob).equals(stored), 'the document file is back, byte for byte');
        const t2 = await tokenOf(srv, owner);
        const jobs = await srv.request('GET', '/api/v1/jobs', { token: t2 });
        assertStatus(jobs, 200);
        assert.deepEqual(jobs.json.items.map((j) => j.id), [job.json.id], 'the job is back');
        assert.equal(jobs.json.items[0].name, 'contract.pdf');
        assertStatus(await srv.tryLogin(later.slug, later.username, later.password), 401,
            'the user created after the backup is gone');
    });

    test('SEC-3 an altered, truncated, renamed or missing backup is refused and changes nothing', async () => {
        // Its own directory: the previous test's backup may carry the same second's name.
        const file = await backup(srv, path.join(srv.dataDir, 'backups-refused'));
        assert.equal(path.dirname(file), path.join(srv.dataDir, 'backups-refused'), '--dir');
        const u = await createUser(srv, tree.cA.token, tree.cA.org, { role: 'customer_user' });
        await srv.halt();
        try {
            const bytes = fs.readFileSync(file);
            const cases = [];
            const flipped = Buffer.from(bytes);
            flipped[Math.floor(bytes.length / 2)] ^= 1;
            cases.push(['altered', file, flipped, /altered.*\(refused; nothing was changed\)/]);
            cases.push(['truncated', file, bytes.subarray(0, bytes.length - 100), /refused; nothing was changed/]);
            const renamed = path.join(path.dirname(file), 'quire-backup-20200101T000000Z');
            cases.push(['renamed', renamed, bytes, /renamed/]);
            for (const [what, where, content, message] of cases) {
                fs.writeFileSync(where, content, { mode: 0o600 });
                const r = await quire(srv, 'restore', where);
                assert.equal(r.code, 1, `${what}: exit 1 (${r.stderr})`);
                assert.match(r.stderr, message, what);
                assert.deepEqual(fs.readdirSync(srv.dataDir).filter((n) => n.startsWith('.restore')), [],
                    `${what}: no staging left behind`);
            }
            fs.writeFileSync(file, bytes);
            fs.rmSync(renamed);
            const none = await quire(srv, 'restore', path.join(path.dirname(file), 'quire-backup-19990101T000000Z'));
            assert.equal(none.code, 2);
            assert.match(none.stderr, /no backup at /);
            const usage = await quire(srv, 'restore');
            assert.equal(usage.code, 2);
        } finally {
            await srv.spawn();
        }
        assertStatus(await srv.tryLogin(u.slug, u.username, u.password), 200, 'the live data is untouched');
    });
});

describe('SEC-3 automatic backups', () => {
    let srv;
    before(async () => {
        srv = await startServer({ env: { QUIRE_BACKUP_INTERVAL_HOURS: '24', QUIRE_BACKUP_KEEP_DAYS: '7' } });
    });
    after(async () => {
        if (srv)
            await srv.stop();
    });

    const backups = () => {
        const dir = path.join(srv.dataDir, 'backups');
        return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => /^quire-backup-\d{8}T\d{6}Z$/.test(n)).sort() : [];
    };
    const stampOf = (epoch) => new Date(epoch * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');

    test('SEC-3 one backup a day by the server\'s clock, each kept 7 days', async () => {
        // The clock runs on while a backup is written, so a backup's stamp is the server's
        // time shortly before the time advanceClock answers.
        const near = (list, t) => list.some((n) => n.slice(13) >= stampOf(t - 10) && n.slice(13) <= stampOf(t));
        const first = await srv.advanceClock(0);
        assert.equal(backups().length, 1, 'the first tick makes one');
        assert.ok(near(backups(), first), `${backups()} is of ${stampOf(first)}`);
        await srv.advanceClock(23 * 3600);
        assert.equal(backups().length, 1, 'not due before 24 hours');
        const second = await srv.advanceClock(3600);
        assert.equal(backups().length, 2, 'due at 24 hours');
        assert.ok(near(backups(), second));
        const daily = [];
        for (let day = 0; day < 8; day++)
            daily.push(await srv.advanceClock(86400));
        const now = daily.at(-1);
        const left = backups();
        assert.ok(!near(left, first) && !near(left, second), `backups older than 7 days are deleted: ${left}`);
        // The one made exactly 7 days ago may just have gone; every younger one is there.
        for (const t of daily.filter((x) => x >= now - 6 * 86400))
            assert.ok(near(left, t), `the backup of about ${stampOf(t)} is kept: ${left}`);
        assert.ok(left.length === 7 || left.length === 8, `7 days of daily backups: ${left}`);
        assert.ok(left.every((n) => n.slice(13) >= stampOf(now - 7 * 86400 - 60)), `none older than 7 days: ${left}`);
        // The newest one restores.
        const file = path.join(srv.dataDir, 'backups', left.at(-1));
        await srv.halt();
        const r = await run(QUIRE, ['restore', file], srv.env);
        assert.equal(r.code, 0, r.stderr);
        await srv.restart();
        assertStatus(await srv.request('GET', '/healthz'), 200);
    });
});
