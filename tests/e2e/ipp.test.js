// SPDX-License-Identifier: Apache-2.0
// PRN-1, AUTH-5, TEN-3: the IPP Everywhere queue at ipps://HOST:PORT/ipp/print, spoken to by
// CUPS' ipptool (the single-operation tests; the conformance files run in
// ipp_conformance.test.js) and, for requests no IPP client would send, by raw IPP bytes. Jobs printed by IPP land in
// the owner's spool and nobody else's; bad requests are refused with the IPP status the
// standard names and store nothing.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, assertStatus, createOrgTree, createUser, tokenOf } from './lib/server.js';
import { CUPS_TESTS, counts, ipptool as runIpptool, queueUri as ipptoolUri } from './lib/ipptool.js';
import { cupsdSkipReason, runBounded, startCupsd } from './lib/cups.js';


let srv;
let tree;
let work; // scratch directory: HOME for ipptool (its trust-on-first-use store), test files

before(async () => {
    srv = await startServer({ env: { QUIRE_MAX_JOB_MB: '8' } });
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user', 'guest_user'] }],
    ]);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-ipp-'));
    fs.mkdirSync(path.join(work, 'home'));
    for (const f of ['document-a4.pdf', 'document-letter.pdf'])
        fs.writeFileSync(path.join(work, f), pdf());
    // ipptool checks that every FILE exists before it runs a suite.
    for (const f of ['document-a4.ps', 'document-letter.ps', 'color.jpg', 'gray.jpg'])
        fs.writeFileSync(path.join(work, f), 'not used\n');
    fs.writeFileSync(path.join(work, 'doc.pdf'), pdf());
});

after(async () => {
    if (srv)
        await srv.stop();
    if (work)
        fs.rmSync(work, { recursive: true, force: true });
});

/** A small valid one-page PDF, padded to about size bytes. */
function pdf(size = 0, marker = 'quire ipp test page') {
    const pad = size > 600 ? `%${'x'.repeat(78)}\n`.repeat(Math.ceil((size - 600) / 80)) : '';
    return Buffer.from(`%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj
4 0 obj << /Length 44 >> stream
BT /F1 24 Tf 72 720 Td (${marker}) Tj ET
endstream endobj
${pad}trailer << /Root 1 0 R >>
%%EOF
`);
}

function queueUri(user, suffix = '') {
    return ipptoolUri(srv, user, suffix);
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs ipptool in the scratch directory. */
function ipptool(uri, testFiles, extra = []) {
    return runIpptool(work, uri, testFiles, extra);
}

// ---- raw IPP, for requests that no IPP client sends (bad versions, unknown operations) ----

const TAG = { op: 0x01, job: 0x02, end: 0x03, integer: 0x21, boolean: 0x22, keyword: 0x44, uri: 0x45,
    charset: 0x47, language: 0x48, mime: 0x49, name: 0x42 };

/** Encodes an IPP request: items are {group} or [valueTag, name, value]. */
function ippBytes({ version = 0x0200, op, id = 7, items }) {
    const parts = [];
    const head = Buffer.alloc(8);
    head.writeUInt16BE(version, 0);
    head.writeUInt16BE(op, 2);
    head.writeUInt32BE(id, 4);
    parts.push(head);
    for (const it of items) {
        if (!Array.isArray(it)) {
            parts.push(Buffer.from([it.group]));
            continue;
        }
        const [tag, name, value] = it;
        let v;
        if (tag === TAG.integer) {
            v = Buffer.alloc(4);
            v.writeInt32BE(value);
        } else if (tag === TAG.boolean) {
            v = Buffer.from([value ? 1 : 0]);
        } else {
            v = Buffer.from(value);
        }
        const h = Buffer.alloc(3);
        h[0] = tag;
        h.writeUInt16BE(Buffer.byteLength(name), 1);
        const l = Buffer.alloc(2);
        l.writeUInt16BE(v.length);
        parts.push(h, Buffer.from(name), l, v);
    }
    parts.push(Buffer.from([TAG.end]));
    return Buffer.concat(parts);
}

function opAttrs(extra = [], { printerUri = true } = {}) {
    return [{ group: TAG.op }, [TAG.charset, 'attributes-charset', 'utf-8'],
        [TAG.language, 'attributes-natural-language', 'en'],
        ...(printerUri ? [[TAG.uri, 'printer-uri', `ipps://localhost:${srv.port}/ipp/print`]] : []), ...extra];
}

function basic(user, password = user.password) {
    return 'Basic ' + Buffer.from(`${user.slug}\\${user.username}:${password}`).toString('base64');
}

/** POSTs raw IPP; resolves the HTTP answer plus the IPP status code (or null). */
async function post(body, { auth, type = 'application/ipp', target = '/ipp/print' } = {}) {
    const headers = { 'Content-Type': type };
    if (auth)
        headers.Authorization = auth;
    const r = await srv.request('POST', target, { rawBody: body, headers });
    r.ippStatus = r.status === 200 && r.raw.length >= 8 ? r.raw.readUInt16BE(2) : null;
    return r;
}

const OP = { print: 0x0002, validate: 0x0004, cancel: 0x0008, getJob: 0x0009, getJobs: 0x000a, gpa: 0x000b };
const ST = { ok: 0x0000, badRequest: 0x0400, notPossible: 0x0404, notFound: 0x0406, formatNotSupported: 0x040a,
    valuesNotSupported: 0x040b, tooLarge: 0x0408, formatError: 0x0411, opNotSupported: 0x0501,
    versionNotSupported: 0x0503 };

async function jobsOf(token) {
    const r = await srv.request('GET', '/api/v1/jobs', { token });
    assertStatus(r, 200, 'list jobs');
    return r.json.items;
}

function blobCount(orgId) {
    const dir = path.join(srv.dataDir, 'blobs', orgId);
    return fs.existsSync(dir) ? fs.readdirSync(dir).length : 0;
}

describe('IPP Everywhere queue', () => {
    test('PRN-1 CUPS single-operation tests pass (ipptool)', async () => {
        const u = tree.cA.users.customer_user;
        for (const t of ['get-printer-attributes.test', 'validate-job.test', 'print-job.test', 'get-jobs.test',
            'cancel-current-job.test']) {
            const r = await ipptool(queueUri(u), [path.join(CUPS_TESTS, t)]);
            assert.equal(r.code, 0, `${t}:\n${r.out.slice(-3000)}`);
            assert.equal(counts(r.out).fail, 0, t);
        }
        // get-job-attributes.test addresses the job by its job-uri.
        const p = await ipptool(queueUri(u), [path.join(CUPS_TESTS, 'print-job.test')]);
        assert.equal(p.code, 0, p.out);
        const token = await tokenOf(srv, u);
        const number = (await jobsOf(token))[0].number;
        const g = await ipptool(queueUri(u, `/${number}`), [path.join(CUPS_TESTS, 'get-job-attributes.test')]);
        assert.equal(g.code, 0, g.out);
    });

    // A private cupsd (own configuration and spool directories, private port) with a queue
    // made by `lpadmin -m everywhere` from the printer's own attributes, and `lp` printing
    // to it: the CUPS ipps backend sends the job to quire with the user's credentials.
    test('PRN-1 CUPS prints to the queue: lpadmin -m everywhere, then lp', { skip: cupsdSkipReason() || false }, async () => {
        const owner = await createUser(srv, tree.cA.token, tree.cA.org, { role: 'customer_user' });
        const cups = await startCupsd(work, path.join(work, 'home'));
        try {
            const env = cups.env();
            // The device URI carries the user's credentials (the ipps backend sends them as
            // HTTP Basic); the queue's PPD is made from quire's Get-Printer-Attributes.
            const a = await runBounded('lpadmin', ['-p', 'quire', '-E', '-v', queueUri(owner), '-m', 'everywhere'], { env, cwd: work });
            assert.equal(a.code, 0, `lpadmin: ${a.out}`);
            const l = await runBounded('lp', ['-d', 'quire', '-t', 'lp-printed', 'doc.pdf'], { env, cwd: work });
            assert.equal(l.code, 0, `lp: ${l.out}`);
            const token = await tokenOf(srv, owner);
            // The ipps backend sends Create-Job, then the document with Send-Document: the job
            // is listed (incoming) from the first and held once its document is in.
            let job = null;
            for (let i = 0; i < 300 && job?.status !== 'held'; i++) {
                job = (await jobsOf(token)).find((j) => j.name.endsWith('lp-printed')); // the backend prefixes the CUPS job id
                if (job?.status !== 'held')
                    await pause(100);
            }
            assert.ok(job, `the job printed with lp is in the owner's spool\n${cups.errorLog().slice(-3000)}`);
            assert.equal(job.status, 'held');
        } finally {
            await cups.stop();
        }
    });

    test('PRN-1 TEN-3 a job printed by IPP is its owner\'s: options mapped, nobody else sees it', async () => {
        const owner = tree.cA.users.customer_user;
        const ticket = path.join(work, 'mapped.test');
        fs.writeFileSync(ticket, `{
    NAME "Print-Job with options"
    OPERATION Print-Job
    GROUP operation-attributes-tag
    ATTR charset attributes-charset utf-8
    ATTR naturalLanguage attributes-natural-language en
    ATTR uri printer-uri $uri
    ATTR name requesting-user-name someone-else
    ATTR name job-name "ipp-mapped-$uniq"
    ATTR mimeMediaType document-format application/pdf
    GROUP job-attributes-tag
    ATTR integer copies 3
    ATTR keyword sides two-sided-long-edge
    ATTR keyword print-color-mode monochrome
    FILE doc.pdf
    STATUS successful-ok
    EXPECT job-id OF-TYPE integer WITH-VALUE >0
    EXPECT job-state WITH-VALUE 4
    EXPECT job-state-reasons WITH-VALUE job-hold-until-specified
}
`);
        const r = await ipptool(queueUri(owner), [ticket], ['-d', 'uniq=x1']);
        assert.equal(r.code, 0, r.out);
        const token = await tokenOf(srv, owner);
        const job = (await jobsOf(token)).find((j) => j.name === 'ipp-mapped-x1');
        assert.ok(job, 'the IPP job is in the owner\'s GET /api/v1/jobs');
        assert.equal(job.copies, 3);
        assert.equal(job.duplex, true);
        assert.equal(job.color, false);
        assert.equal(job.status, 'held');
        assert.equal(job.size, pdf().length);
        for (const [who, t] of [['another user', await tokenOf(srv, tree.cA.users.guest_user)],
            ['customer admin', tree.cA.token], ['provider admin', tree.pA.token]]) {
            assert.ok(!(await jobsOf(t)).some((j) => j.id === job.id), `${who} does not list it`);
        }
        // Nor through IPP: another user's Get-Job-Attributes and Cancel-Job find no such job.
        const other = basic(tree.cA.users.guest_user);
        for (const op of [OP.getJob, OP.cancel]) {
            const x = await post(ippBytes({ op, items: opAttrs([[TAG.integer, 'job-id', job.number]]) }), { auth: other });
            assert.equal(x.ippStatus, ST.notFound, `another user's ${op === OP.getJob ? 'Get-Job-Attributes' : 'Cancel-Job'}`);
        }
        const mine = await post(ippBytes({ op: OP.getJobs, items: opAttrs([[TAG.keyword, 'which-jobs', 'all']]) }), { auth: other });
        assert.equal(mine.ippStatus, ST.ok);
        const jobIdBytes = Buffer.alloc(4);
        jobIdBytes.writeInt32BE(job.number);
        assert.ok(!mine.raw.includes(Buffer.concat([Buffer.from('job-id'), Buffer.from([0, 4]), jobIdBytes])),
            'Get-Jobs of another user does not list the job');
        // The owner cancels it by IPP: its document leaves the spool at once, the job stays
        // listed as canceled (until its retention ends), and it cannot be canceled twice.
        const cancel = ippBytes({ op: OP.cancel, items: opAttrs([[TAG.integer, 'job-id', job.number]]) });
        const c = await post(cancel, { auth: basic(owner) });
        assert.equal(c.ippStatus, ST.ok);
        const after = await srv.request('GET', `/api/v1/jobs/${job.id}`, { token });
        assertStatus(after, 200, 'a canceled job stays visible to its owner');
        assert.equal(after.json.status, 'canceled');
        assert.ok(!fs.existsSync(path.join(srv.dataDir, 'blobs', tree.cA.org.id, job.id)), 'its document is deleted');
        const again = await post(cancel, { auth: basic(owner) });
        assert.equal(again.ippStatus, ST.notPossible, 'Cancel-Job of a canceled job');
    });

    test('PRN-1 SEC-2 a large document streams into the spool; a bearer access token works too', async () => {
        const owner = tree.cA.users.customer_user;
        const token = await tokenOf(srv, owner);
        const doc = pdf(5 * 1024 * 1024, 'IPP-LARGE-MARKER');
        const body = Buffer.concat([ippBytes({ op: OP.print, items: opAttrs([[TAG.name, 'job-name', 'large-ipp'],
            [TAG.mime, 'document-format', 'application/pdf']]) }), doc]);
        const r = await post(body, { auth: `Bearer ${token}` });
        assert.equal(r.ippStatus, ST.ok, r.text);
        const job = (await jobsOf(token)).find((j) => j.name === 'large-ipp');
        assert.equal(job.size, doc.length);
        const stored = fs.readFileSync(path.join(srv.dataDir, 'blobs', tree.cA.org.id, job.id));
        assert.ok(!stored.includes('IPP-LARGE-MARKER'), 'stored encrypted');
    });

    test('PRN-1 AUTH-11 no or bad credentials get 401 Basic; a device (client credentials) token is refused', async () => {
        const u = tree.cA.users.customer_user;
        const print = Buffer.concat([ippBytes({ op: OP.print, items: opAttrs() }), pdf()]);
        for (const [what, auth] of [['none', undefined], ['garbage', 'Basic !!!'], ['no org', 'Basic ' + Buffer.from('x:y').toString('base64')],
            ['bad bearer', 'Bearer abc.def.ghi'], ['other scheme', 'Digest x']]) {
            const r = await post(print, { auth });
            assert.equal(r.status, 401, what);
            assert.equal(r.headers['www-authenticate'], 'Basic realm="quire"', what);
        }
        // Get-Printer-Attributes is answered without a user (what CUPS and Windows ask first).
        const gpa = await post(ippBytes({ op: OP.gpa, items: opAttrs() }));
        assert.equal(gpa.ippStatus, ST.ok);
        // Get-Jobs is not.
        assert.equal((await post(ippBytes({ op: OP.getJobs, items: opAttrs() }))).status, 401);
        // A client-credentials token is an API client, not a user.
        const c = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/clients`, { token: tree.cA.token, body: { name: 'printer feed' } });
        assertStatus(c, 201, 'create client');
        const t = await srv.request('POST', '/oauth/token', {
            rawBody: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.json.client_id,
                client_secret: c.json.client_secret }).toString(),
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
        assertStatus(t, 200, 'client token');
        const before = (await jobsOf(await tokenOf(srv, u))).length;
        const r = await post(print, { auth: `Bearer ${t.json.access_token}` });
        assert.equal(r.status, 401, 'device token refused');
        assert.equal((await jobsOf(await tokenOf(srv, u))).length, before);
    });

    test('AUTH-5 wrong Basic passwords count toward the lockout like any login', async () => {
        const u = await createUser(srv, tree.cA.token, tree.cA.org, { role: 'customer_user' });
        const gj = ippBytes({ op: OP.getJobs, items: opAttrs() });
        assert.equal((await post(gj, { auth: basic(u) })).ippStatus, ST.ok, 'right password works');
        for (let i = 0; i < 3; i++) {
            const r = await post(gj, { auth: basic(u, `Wrong-password-${i}!`) });
            assert.equal(r.status, 401, `wrong password ${i + 1}`);
            assert.equal(r.headers['www-authenticate'], 'Basic realm="quire"');
        }
        assert.equal((await post(gj, { auth: basic(u) })).status, 401, 'locked: the right password is refused by IPP');
        const login = await srv.tryLogin(u.slug, u.username, u.password);
        assert.equal(login.status, 401, 'locked for the API login too');
        const users = await srv.request('GET', `/api/v1/users/${u.id}`, { token: tree.cA.token });
        assert.equal(users.json.locked, true, 'the admin sees the account locked');
    });

    test('PRN-1 bad requests get the IPP status the standard names and store nothing', async () => {
        const owner = tree.cA.users.customer_user;
        const auth = basic(owner);
        const token = await tokenOf(srv, owner);
        const jobsBefore = (await jobsOf(token)).length;
        const blobsBefore = blobCount(tree.cA.org.id);
        const doc = pdf();
        const cases = [
            ['IPP version 9.9', Buffer.concat([ippBytes({ version: 0x0909, op: OP.print, items: opAttrs() }), doc]), ST.versionNotSupported],
            ['unknown operation', ippBytes({ op: 0x4321, items: opAttrs() }), ST.opNotSupported],
            ['Hold-Job (not supported)', ippBytes({ op: 0x000c, items: opAttrs([[TAG.integer, 'job-id', 1]]) }), ST.opNotSupported],
            ['no attributes-charset', ippBytes({ op: OP.print, items: [{ group: TAG.op }, [TAG.language, 'attributes-natural-language', 'en'],
                [TAG.uri, 'printer-uri', 'ipps://localhost/ipp/print']] }), ST.badRequest],
            ['no natural language', ippBytes({ op: OP.gpa, items: [{ group: TAG.op }, [TAG.charset, 'attributes-charset', 'utf-8'],
                [TAG.uri, 'printer-uri', 'ipps://localhost/ipp/print']] }), ST.badRequest],
            ['no printer-uri', Buffer.concat([ippBytes({ op: OP.print, items: opAttrs([], { printerUri: false }) }), doc]), ST.badRequest],
            ['document-format text/plain', Buffer.concat([ippBytes({ op: OP.print, items: opAttrs([[TAG.mime, 'document-format', 'text/plain']]) }),
                Buffer.from('hello\n')]), ST.formatNotSupported],
            ['Validate-Job image/gif', ippBytes({ op: OP.validate, items: opAttrs([[TAG.mime, 'document-format', 'image/gif']]) }), ST.formatNotSupported],
            ['PWG raster that is not', Buffer.concat([ippBytes({ op: OP.print, items: opAttrs([[TAG.mime, 'document-format', 'image/pwg-raster']]) }), doc]), ST.formatError],
            ['body is not a PDF', Buffer.concat([ippBytes({ op: OP.print, items: opAttrs() }), Buffer.from('just text, not a PDF\n')]), ST.formatError],
            ['truncated PDF', Buffer.concat([ippBytes({ op: OP.print, items: opAttrs() }), doc.subarray(0, doc.length - 8)]), ST.formatError],
            ['copies 0', Buffer.concat([ippBytes({ op: OP.print, items: [...opAttrs(), { group: TAG.job }, [TAG.integer, 'copies', 0]] }), doc]),
                ST.valuesNotSupported],
            ['sides sideways', Buffer.concat([ippBytes({ op: OP.print, items: [...opAttrs(), { group: TAG.job }, [TAG.keyword, 'sides', 'sideways']] }), doc]),
                ST.valuesNotSupported],
            ['job-name of 300 bytes (a name is at most 255: malformed)', Buffer.concat([ippBytes({ op: OP.print, items: opAttrs([[TAG.name, 'job-name', 'n'.repeat(300)]]) }), doc]),
                ST.badRequest],
            ['attributes over 64 KiB', Buffer.concat([ippBytes({ op: OP.print, items: opAttrs(Array.from({ length: 3 },
                (_, i) => [TAG.name, `x-filler-${i}`, 'f'.repeat(30000)])) }), doc]), ST.tooLarge],
            ['one value over 32 KiB', Buffer.concat([ippBytes({ op: OP.print, items: opAttrs([[TAG.name, 'job-name', 'y'.repeat(40000)]]) }), doc]),
                ST.badRequest],
            ['truncated attributes', ippBytes({ op: OP.print, items: opAttrs() }).subarray(0, 40), ST.badRequest],
        ];
        for (const [what, body, want] of cases) {
            const r = await post(body, { auth });
            assert.equal(r.status, 200, `${what}: HTTP status (${r.text.slice(0, 200)})`);
            assert.equal(r.ippStatus, want, `${what}: IPP status 0x${(r.ippStatus ?? -1).toString(16)}`);
        }
        const notIpp = await post(Buffer.from('abc'), { auth });
        assert.equal(notIpp.status, 400, 'fewer than 8 bytes is not IPP');
        const wrongType = await post(ippBytes({ op: OP.gpa, items: opAttrs() }), { auth, type: 'application/json' });
        assert.equal(wrongType.status, 415, 'Content-Type must be application/ipp');
        assert.equal((await jobsOf(token)).length, jobsBefore, 'no job recorded');
        assert.equal(blobCount(tree.cA.org.id), blobsBefore, 'no document left in the spool');
    });
});
