// SPDX-License-Identifier: Apache-2.0
// PRN-1, issue 15: the README's CUPS recipe, word for word. The commands of the README block
// marked for this test are run as they stand by a shell, against a private cupsd (its own
// configuration, spool and port), with only USERNAME, ORG, PASSWORD and HOST filled in; the
// job must leave CUPS and arrive held in the user's quire spool. And the recipe the README
// warns against (-o auth-info-required=username,password, no credentials in the URI) leaves a
// job sent by `lp` held in CUPS for authentication, as the README says.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, createOrgTree, createUser, tokenOf, REPO_ROOT } from './lib/server.js';
import { cupsdSkipReason, runBounded, startCupsd } from './lib/cups.js';
import { makePdf } from './lib/pdf.js';
import { textPng } from './lib/scan.js';

const MARKER = '<!-- tests/e2e/printing.test.js runs this block';
const POLL_TRIES = 300; // the job's arrival in the spool, paced
const POLL_PACE_MS = 100;

/** The shell commands of the README block after MARKER. */
function readmeRecipe() {
    const text = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const at = text.indexOf(MARKER);
    assert.ok(at >= 0, 'the README marks its CUPS recipe for this test');
    const m = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
    assert.ok(m, 'a ```sh block follows the marker');
    return m[1].split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

async function jobsOf(srv, token) {
    const r = await srv.request('GET', '/api/v1/jobs', { token });
    assert.equal(r.status, 200, r.text);
    return r.json.items;
}

describe('the README\'s CUPS recipe', { skip: cupsdSkipReason() || false }, () => {
    let srv;
    let tree;
    let work;
    let cups;
    let lastOwner; // the user whose credentials the README's queue holds
    before(async () => {
        srv = await startServer();
        tree = await createOrgTree(srv, [
            ['pA', { type: 'provider' }],
            ['cA', { parent: 'pA', type: 'customer', users: [] }],
        ]);
        work = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-printing-'));
        fs.mkdirSync(path.join(work, 'home'));
        fs.writeFileSync(path.join(work, 'document.pdf'), makePdf({ pages: 2, marker: 'printing recipe' }));
        cups = await startCupsd(work, path.join(work, 'home'));
    });
    after(async () => {
        if (cups)
            await cups.stop();
        if (srv)
            await srv.stop();
        if (work)
            fs.rmSync(work, { recursive: true, force: true });
    });

    test('PRN-1 lpadmin and lp as the README writes them: the job arrives held in the user\'s spool', async () => {
        // A password with characters that must be percent-encoded in the URI.
        const owner = await createUser(srv, tree.cA.token, tree.cA.org, { role: 'customer_user', password: `Pr1nt:me@${Date.now()}%x!` });
        lastOwner = owner;
        const lines = readmeRecipe();
        assert.ok(lines.some((l) => l.startsWith('lpadmin ')) && lines.some((l) => l.startsWith('lp ')), lines.join('\n'));
        const env = cups.env();
        delete env.CUPS_ANYROOT; // as a fresh terminal has it: the self-signed certificate is trusted on first use
        const runRecipe = async () => {
            for (const line of lines) {
                const cmd = line.replaceAll('USERNAME', encodeURIComponent(owner.username))
                    .replaceAll('ORG', owner.slug)
                    .replaceAll('PASSWORD', encodeURIComponent(owner.password))
                    .replaceAll('HOST:8443', `localhost:${srv.port}`);
                const r = await runBounded('sh', ['-c', cmd], { env, cwd: work });
                assert.equal(r.code, 0, `${line}\n${r.out}\n${cups.errorLog().slice(-3000)}`);
            }
        };
        const arrived = async (n) => {
            const token = await tokenOf(srv, owner);
            let jobs = [];
            for (let i = 0; i < POLL_TRIES && jobs.length < n; i++) {
                jobs = (await jobsOf(srv, token)).filter((j) => j.name.endsWith('document.pdf'));
                if (jobs.length < n)
                    await pause(POLL_PACE_MS);
            }
            assert.equal(jobs.length, n, `the job is in the owner's spool\n${cups.errorLog().slice(-3000)}`);
            return jobs;
        };
        await runRecipe();
        const [job] = await arrived(1);
        assert.equal(job.status, 'held');
        // CUPS has nothing left waiting: the job was handed over.
        let pending = 'x';
        for (let i = 0; i < POLL_TRIES && pending; i++) {
            pending = (await runBounded('lpstat', ['-o', 'quire'], { env })).out.trim();
            if (pending)
                await pause(POLL_PACE_MS);
        }
        assert.equal(pending, '', 'no job is left in CUPS');

        // docs/printing.md: after a password change, the same lines with the new password.
        const t = await srv.login(owner.slug, owner.username, owner.password);
        const fresh = `N3w:pass@${Date.now()}`;
        const c = await srv.request('POST', '/api/v1/me/password', { token: t.access_token,
            body: { current_password: owner.password, new_password: fresh } });
        assert.equal(c.status, 204, c.text);
        owner.password = fresh;
        await runRecipe();
        const both = await arrived(2);
        assert.ok(both.every((j) => j.status === 'held'), JSON.stringify(both));
    });

    test('PRN-1 the README\'s queue prints a JPEG, a PNG, plain text and a PWG raster: each arrives held with its pages and colour', async () => {
        // The queue "quire" of the test above, made by lpadmin -m everywhere: CUPS sends what
        // the queue takes as it is (JPEG, PWG raster) and converts the rest (PNG, text) itself.
        const gen = path.join(work, 'rastergen');
        await runBounded('cc', ['-std=c11', '-D_GNU_SOURCE', '-O2', path.join(REPO_ROOT, 'bench/rastergen.c'), '-o', gen, '-lcups', '-ljpeg']);
        assert.ok(fs.existsSync(gen), 'bench/rastergen.c builds');
        await runBounded(gen, ['jpeg', 'photo.jpg', '800', '600', '1'], { cwd: work });
        await runBounded(gen, ['pwg', 'scan.pwg', 'sgray_8', '3', '1275', '1650', '150', '0'], { cwd: work });
        fs.writeFileSync(path.join(work, 'chart.png'), textPng(['quire chart'], 100));
        fs.writeFileSync(path.join(work, 'notes.txt'), 'Minutes of the meeting\nnothing else\n');
        for (const f of ['photo.jpg', 'scan.pwg'])
            assert.ok(fs.existsSync(path.join(work, f)), `rastergen wrote ${f}`);
        const expect = { 'photo.jpg': { pages: 1, color: true }, 'scan.pwg': { pages: 3, color: false },
            'chart.png': { pages: 1, color: false }, 'notes.txt': { pages: 1, color: false } };
        const env = cups.env();
        for (const f of Object.keys(expect)) {
            const r = await runBounded('lp', ['-d', 'quire', f], { env, cwd: work });
            assert.equal(r.code, 0, `lp ${f}: ${r.out}`);
        }
        const owner = lastOwner;
        const token = await tokenOf(srv, owner);
        let jobs = [];
        const mine = () => jobs.filter((j) => Object.keys(expect).some((f) => j.name.endsWith(f)));
        // CUPS' ipps backend sends Create-Job, then the document: a job is listed (incoming)
        // from the first and held once its document is in.
        const arrived = () => mine().length === 4 && mine().every((j) => j.status !== 'incoming');
        for (let i = 0; i < POLL_TRIES && !arrived(); i++) {
            jobs = await jobsOf(srv, token);
            if (!arrived())
                await pause(POLL_PACE_MS);
        }
        assert.equal(mine().length, 4, `four jobs arrived: ${JSON.stringify(jobs.map((j) => j.name))}\n${cups.errorLog().slice(-3000)}`);
        for (const j of mine()) {
            const f = Object.keys(expect).find((k) => j.name.endsWith(k));
            assert.equal(j.status, 'held', f);
            assert.equal(j.pages, expect[f].pages, `${f}: pages`);
            assert.equal(j.document_color, expect[f].color, `${f}: colour as the document holds it`);
        }
    });

    test('PRN-1 -o auth-info-required=username,password without credentials: lp\'s job waits in CUPS for authentication', async () => {
        const env = cups.env();
        const a = await runBounded('lpadmin', ['-p', 'dialog', '-E', '-v', `ipps://localhost:${srv.port}/ipp/print`,
            '-o', 'auth-info-required=username,password', '-m', 'everywhere'], { env, cwd: work });
        assert.equal(a.code, 0, a.out);
        const l = await runBounded('lp', ['-d', 'dialog', 'document.pdf'], { env, cwd: work });
        assert.equal(l.code, 0, l.out);
        let shown = '';
        for (let i = 0; i < POLL_TRIES && !/held for authentication|cups-held-for-authentication/i.test(shown); i++) {
            shown = (await runBounded('lpstat', ['-l', '-o', 'dialog'], { env })).out;
            if (!/held for authentication|cups-held-for-authentication/i.test(shown))
                await pause(POLL_PACE_MS);
        }
        assert.match(shown, /held for authentication|cups-held-for-authentication/i, shown);
    });
});
