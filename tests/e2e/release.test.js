// SPDX-License-Identifier: Apache-2.0
// PRN-3, PRN-4, DEV-2, AUTH-8, AUTH-9, AUTH-11: the print-release loop end to end. A job
// submitted through the API is released at the "panel" by quire-device (the reference
// device client: client-credentials token, PIN or card login, release, download, IPP
// Print-Job, result, logout) to a real IPP Everywhere printer (CUPS's ippeveprinter), which
// must receive exactly the submitted bytes with the effective copies, sides and colour.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, assertStatus, createOrgTree, tokenOf, BIN_DIR } from './lib/server.js';
import { startPrinter, sha256 } from './lib/printer.js';
import { makePdf } from './lib/pdf.js';

const QUIRE_DEVICE = path.join(BIN_DIR, 'quire-device');
const RUN_TIMEOUT_MS = 120000;

let srv;
let tree;
let printer;
let device;
let work;    // private directory: CA file, secret file
let caFile;
let secretFile;
let user;    // the person at the panel (username + PIN mode)
const PIN = '4821';

/** Runs quire-device; resolves {code, stdout, stderr}. env adds to (or with null removes
 * from) the base environment, which carries the device secret. */
function quireDevice(args, { env = {}, printerUri = printer.uri } = {}) {
    const base = { ...process.env, QUIRE_DEVICE_SECRET: device.client_secret };
    for (const k of ['QUIRE_SERVER', 'QUIRE_CA_FILE', 'QUIRE_DEVICE_CLIENT_ID', 'QUIRE_PRINTER', 'QUIRE_PANEL_PASSWORD'])
        delete base[k];
    for (const [k, v] of Object.entries(env)) {
        if (v === null)
            delete base[k];
        else
            base[k] = v;
    }
    const common = ['--server', `https://localhost:${srv.port}`, '--ca-file', caFile, '--client-id', device.client_id,
        '--timeout', '60'];
    if (printerUri)
        common.push('--printer', printerUri);
    return new Promise((resolve) => {
        execFile(QUIRE_DEVICE, [...common, ...args], { env: base, timeout: RUN_TIMEOUT_MS },
            (err, stdout, stderr) => resolve({
                code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
                signal: err ? err.signal : null,
                stdout: String(stdout),
                stderr: String(stderr),
            }));
    });
}

const show = (r) => `exit ${r.code}${r.signal ? ' ' + r.signal : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;

/** Asserts a clean failure: the status, exactly one line on stderr, matching re. */
function assertFails(r, code, re, what) {
    assert.equal(r.code, code, `${what}: ${show(r)}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${what}: one line on stderr: ${show(r)}`);
    assert.match(lines[0], /^quire-device: /, what);
    if (re)
        assert.match(lines[0], re, `${what}: ${show(r)}`);
}

const submit = (token, body, query = '') => srv.request('POST', `/api/v1/jobs${query}`,
    { token, rawBody: body, headers: { 'Content-Type': 'application/pdf' } });

const pinLogin = ['--username', () => user.username, '--pin', PIN];
const login = () => pinLogin.map((a) => (typeof a === 'function' ? a() : a));

before(async () => {
    srv = await startServer();
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user', 'guest_user'] }],
    ]);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`,
        { token: tree.pA.token, body: { license: { devices: 1 } } }), 200, 'device license');
    const d = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`,
        { token: tree.cA.token, body: { serial: 'MFP-RELEASE-1', model: 'ippeveprinter' } });
    assertStatus(d, 201, 'register the device');
    device = d.json;
    user = tree.cA.users.customer_user;
    const t = await tokenOf(srv, user);
    assertStatus(await srv.request('POST', '/api/v1/me/pin', { token: t, body: { pin: PIN } }), 200, 'set PIN');

    work = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-release-'));
    fs.chmodSync(work, 0o700);
    caFile = path.join(work, 'ca.pem');
    fs.writeFileSync(caFile, srv.ca);
    secretFile = path.join(work, 'device.secret');
    fs.writeFileSync(secretFile, `${device.client_secret}\n`, { mode: 0o600 });
    printer = await startPrinter();
});

after(async () => {
    try {
        if (printer)
            await printer.stop();
    } finally {
        if (work)
            fs.rmSync(work, { recursive: true, force: true });
        if (srv)
            await srv.stop();
    }
});

describe('quire-device: credentials and panel login', () => {
    test('AUTH-11 bad usage and unsafe secrets are refused with exit 2 and one line', async () => {
        assertFails(await quireDevice(['jobs']), 2, /exactly one of --pin/, 'no login');
        assertFails(await quireDevice(['jobs', '--pin', '12ab']), 2, /PIN must be 4 to 8 digits/, 'malformed PIN');
        assertFails(await quireDevice(['release', ...login()]), 2, /--job ID or --all/, 'release what');
        assertFails(await quireDevice(['release', ...login(), '--job', '../x']), 2, /job id/, 'job id');
        assertFails(await quireDevice(['release', ...login(), '--all'], { printerUri: 'http://printer/' }), 2, /ipp:\/\//, 'printer URI');
        assertFails(await quireDevice(['jobs', ...login(), '--secret', 'x']), 2, /never taken from the command line/, 'secret in argv');
        assertFails(await quireDevice(['jobs', ...login()], { env: { QUIRE_DEVICE_SECRET: null } }), 2, /no device secret/, 'no secret');
        const loose = path.join(work, 'loose.secret');
        fs.writeFileSync(loose, device.client_secret, { mode: 0o644 });
        fs.chmodSync(loose, 0o644);
        assertFails(await quireDevice(['jobs', ...login(), '--secret-file', loose], { env: { QUIRE_DEVICE_SECRET: null } }), 2,
            /mode 0600/, 'secret file readable by others');
    });

    test('AUTH-11 a wrong device secret is refused by the server: exit 1', async () => {
        const r = await quireDevice(['jobs', ...login()], { env: { QUIRE_DEVICE_SECRET: 'not-the-secret' } });
        assertFails(r, 1, /device credentials/, 'wrong secret');
    });

    test('AUTH-8 a wrong PIN is a clear refusal (exit 1); the right one lists the jobs', async () => {
        const wrong = await quireDevice(['jobs', '--username', user.username, '--pin', '9999']);
        assertFails(wrong, 1, /panel login refused/, 'wrong PIN');
        // The secret from a 0600 file instead of the environment.
        const ok = await quireDevice(['jobs', ...login(), '--secret-file', secretFile], { env: { QUIRE_DEVICE_SECRET: null } });
        assert.equal(ok.code, 0, show(ok));
        assert.ok(Array.isArray(JSON.parse(ok.stdout).items), 'jobs prints the list as JSON');
    });

    test('AUTH-9 a card registered at the panel logs its user in', async () => {
        const reg = await quireDevice(['register-card', ...login(), '--card', '04A1B2C3D4']);
        assert.equal(reg.code, 0, show(reg));
        assert.match(reg.stdout, /card \*+C3D4 registered for /);
        const byCard = await quireDevice(['jobs', '--card', '04A1B2C3D4']);
        assert.equal(byCard.code, 0, show(byCard));
        const unknown = await quireDevice(['jobs', '--card', 'FFFF0000']);
        assertFails(unknown, 1, /panel login refused/, 'unknown card');
    });
});

describe('quire-device: release and print', () => {
    let printed; // {id, doc}

    test('PRN-3 DEV-2 a released job reaches the printer byte for byte, with its settings, and is logged', async () => {
        const t = await tokenOf(srv, user);
        const doc = makePdf({ pages: 2, color: true, marker: `release-${Date.now()}`, size: 300 * 1024 });
        const sub = await submit(t, doc, '?name=quarterly.pdf&copies=2&color=true&duplex=true');
        assertStatus(sub, 201, 'submit');
        const before = printer.jobs().length;

        const r = await quireDevice(['release', ...login(), '--job', sub.json.id]);
        assert.equal(r.code, 0, show(r));
        assert.match(r.stdout, new RegExp(`job ${sub.json.id} printed`));

        const jobs = printer.jobs();
        assert.equal(jobs.length, before + 1, `one new printer job:\n${printer.log().slice(-2000)}`);
        const got = jobs[jobs.length - 1];
        assert.equal(got.size, doc.length, 'the printer got the whole document');
        assert.equal(got.sha256, sha256(doc), 'PRN-3 the printer got exactly the submitted bytes');
        assert.equal(got.attrs.IPP_COPIES, '2', 'copies');
        assert.equal(got.attrs.IPP_SIDES, 'two-sided-long-edge', 'sides');
        assert.equal(got.attrs.IPP_PRINT_COLOR_MODE, 'color', 'print-color-mode');
        assert.equal(got.attrs.CONTENT_TYPE, 'application/pdf', 'document-format');
        assert.equal(got.attrs.IPP_REQUESTING_USER_NAME ?? got.attrs.IPP_JOB_ORIGINATING_USER_NAME, user.username);

        const t2 = await tokenOf(srv, user);
        const job = await srv.request('GET', `/api/v1/jobs/${sub.json.id}`, { token: t2 });
        assertStatus(job, 200);
        assert.equal(job.json.status, 'printed', 'PRN-3 the job is printed');

        const log = await srv.request('GET', '/api/v1/me/log', { token: t2 });
        assertStatus(log, 200);
        const entry = log.json.items.find((e) => e.type === 'print' && e.device_serial === 'MFP-RELEASE-1');
        assert.ok(entry, `DEV-2 the print is in the user's log: ${JSON.stringify(log.json)}`);
        assert.deepEqual({ pages: entry.pages, copies: entry.copies, color: entry.color, duplex: entry.duplex },
            { pages: 2, copies: 2, color: true, duplex: true }, 'DEV-2 pages, copies, color, duplex');
        printed = { id: sub.json.id, doc };
    });

    test('PRN-1 PRN-3 page ranges chosen when printing reach the printer; only those pages are charged', async () => {
        const t = await tokenOf(srv, user);
        const doc = makePdf({ pages: 4, marker: `ranges-${Date.now()}` });
        const bad = await submit(t, doc, '?name=ranges.pdf&page_ranges=3-4,1-2');
        assertStatus(bad, 400, 'ranges out of order');
        assert.match(bad.json.message, /ascending and not overlapping/);
        const sub = await submit(t, doc, '?name=ranges.pdf&page_ranges=2-3');
        assertStatus(sub, 201, 'submit');
        assert.equal(sub.json.page_ranges, '2-3');
        assert.equal(sub.json.pages, 2, 'pages 2 and 3 of 4');
        const before = printer.jobs().length;
        const r = await quireDevice(['release', ...login(), '--job', sub.json.id]);
        assert.equal(r.code, 0, show(r));
        const jobs = printer.jobs();
        assert.equal(jobs.length, before + 1, `one new printer job:\n${printer.log().slice(-2000)}`);
        assert.equal(jobs[jobs.length - 1].attrs.IPP_PAGE_RANGES, '2-3', 'page-ranges of the Print-Job');
    });

    test('PRN-3 releasing a job that is no longer held is refused: exit 1 with the server\'s message', async () => {
        assert.ok(printed, 'needs the printed job of the test before');
        const before = printer.jobs().length;
        const r = await quireDevice(['release', ...login(), '--job', printed.id]);
        assertFails(r, 1, /release refused \(not_held\): \S/, 'release twice');
        assert.equal(printer.jobs().length, before, 'nothing printed');
    });

    test('PRN-3 a printer that cannot print: the job is reported failed and goes back on hold', async () => {
        const t = await tokenOf(srv, user);
        const doc = makePdf({ marker: 'unreachable printer' });
        const sub = await submit(t, doc, '?name=retry.pdf');
        assertStatus(sub, 201);
        // A port that nothing listens on: the printer is switched off.
        const off = `ipp://127.0.0.1:${printer.port === 1 ? 2 : 1}/ipp/print`;
        const r = await quireDevice(['release', ...login(), '--job', sub.json.id], { printerUri: off });
        assert.equal(r.code, 1, show(r));
        assert.match(r.stderr, /not printed: .*connect/i);
        const job = await srv.request('GET', `/api/v1/jobs/${sub.json.id}`, { token: await tokenOf(srv, user) });
        assertStatus(job, 200);
        assert.equal(job.json.status, 'held', 'a failed print goes back on hold');
        // And released again at a working printer, it prints.
        const again = await quireDevice(['release', ...login(), '--all']);
        assert.equal(again.code, 0, show(again));
        assert.match(again.stdout, new RegExp(`job ${sub.json.id} printed`));
        assert.equal(printer.jobs().at(-1).sha256, sha256(doc));
    });

    test('PRN-3 a printer that does not finish in time: its job is canceled, the release reported failed', async () => {
        const stalled = await startPrinter({ name: 'Stalled Printer', stall: true });
        try {
            const t = await tokenOf(srv, user);
            const sub = await submit(t, makePdf({ marker: 'out of paper' }), '?name=stalled.pdf');
            assertStatus(sub, 201);
            const r = await quireDevice(['release', ...login(), '--job', sub.json.id, '--timeout', '1'],
                { printerUri: stalled.uri });
            assert.equal(r.code, 1, show(r));
            assert.match(r.stderr, /did not finish job \d+ within 1 seconds \(canceled\)/, show(r));
            assert.match(stalled.log(), /Cancel-Job successful-ok/, 'the printer was asked to cancel the job');
            const job = await srv.request('GET', `/api/v1/jobs/${sub.json.id}`, { token: await tokenOf(srv, user) });
            assert.equal(job.json.status, 'held', 'back on hold');
            assertStatus(await srv.request('DELETE', `/api/v1/jobs/${sub.json.id}`, { token: await tokenOf(srv, user) }), 204);
        } finally {
            await stalled.stop();
        }
    });

    test('SEC-2 PRN-3 a download that breaks off (damaged spool) prints nothing: failed, back on hold', async () => {
        const t = await tokenOf(srv, user);
        const doc = makePdf({ marker: 'damaged', size: 2 * 1024 * 1024 });
        const sub = await submit(t, doc, '?name=damaged.pdf');
        assertStatus(sub, 201);
        // Flip one byte in the middle of the stored, encrypted document: quired notices the
        // damaged chunk while streaming it and cuts the download off.
        const file = path.join(srv.dataDir, 'blobs', tree.cA.org.id, sub.json.id);
        const fd = fs.openSync(file, 'r+');
        const b = Buffer.alloc(1);
        fs.readSync(fd, b, 0, 1, 1024 * 1024);
        b[0] ^= 1;
        fs.writeSync(fd, b, 0, 1, 1024 * 1024);
        fs.closeSync(fd);
        const before = printer.jobs().length;
        const r = await quireDevice(['release', ...login(), '--job', sub.json.id]);
        assert.equal(r.code, 1, show(r));
        assert.match(r.stderr, /not printed: download (failed|incomplete)/, show(r));
        assert.equal(printer.jobs().length, before, 'not a byte of it reached the printer');
        const job = await srv.request('GET', `/api/v1/jobs/${sub.json.id}`, { token: await tokenOf(srv, user) });
        assert.equal(job.json.status, 'held', 'back on hold');
        assert.match(job.json.reason || '', /download/, 'with the reason');
        assertStatus(await srv.request('DELETE', `/api/v1/jobs/${sub.json.id}`, { token: await tokenOf(srv, user) }), 204);
    });

    test('PRN-4 over the monthly quota: the release is refused with the server\'s reason, nothing printed', async () => {
        const t = await tokenOf(srv, user);
        const q = await srv.request('GET', '/api/v1/me/quota', { token: t });
        assertStatus(q, 200);
        const admin = await tokenOf(srv, tree.cA.admin);
        assertStatus(await srv.request('PUT', `/api/v1/users/${user.id}/quota`,
            { token: admin, body: { monthly_pages: q.json.used + 1 } }), 200, 'set the quota');
        const sub = await submit(t, makePdf({ pages: 2 }), '?name=too-much.pdf');
        assertStatus(sub, 201);
        const before = printer.jobs().length;
        const r = await quireDevice(['release', ...login(), '--job', sub.json.id]);
        assertFails(r, 1, /release refused \(quota_exceeded\): \S/, 'over quota');
        assert.equal(printer.jobs().length, before, 'nothing printed');
        const job = await srv.request('GET', `/api/v1/jobs/${sub.json.id}`, { token: await tokenOf(srv, user) });
        assert.equal(job.json.status, 'held', 'still held');
        assertStatus(await srv.request('PUT', `/api/v1/users/${user.id}/quota`,
            { token: admin, body: { monthly_pages: null } }), 200, 'no quota again');
        assertStatus(await srv.request('DELETE', `/api/v1/jobs/${sub.json.id}`, { token: await tokenOf(srv, user) }), 204);
    });

    test('PRN-4 org policy: max pages per job refuses the release; force mono and duplex reach the printer', async () => {
        const admin = await tokenOf(srv, tree.cA.admin);
        const policy = (p) => srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`, { token: admin, body: { print_policy: p } });
        assertStatus(await policy({ max_pages_per_job: 1 }), 200, 'max pages');
        let t = await tokenOf(srv, user);
        const two = await submit(t, makePdf({ pages: 2 }), '?name=two.pdf');
        assertStatus(two, 201);
        const before = printer.jobs().length;
        const refusedRun = await quireDevice(['release', ...login(), '--job', two.json.id]);
        assertFails(refusedRun, 1, /release refused \(policy_max_pages\): \S/, 'over max pages');
        assert.equal(printer.jobs().length, before, 'nothing printed');

        assertStatus(await policy({ max_pages_per_job: 0, force_mono: true, force_duplex: true }), 200, 'mono + duplex');
        t = await tokenOf(srv, user);
        const doc = makePdf({ color: true, marker: 'policy' });
        const colour = await submit(t, doc, '?name=colour.pdf&color=true&duplex=false');
        assertStatus(colour, 201);
        const r = await quireDevice(['release', ...login(), '--job', colour.json.id]);
        assert.equal(r.code, 0, show(r));
        const got = printer.jobs().at(-1);
        assert.equal(got.sha256, sha256(doc));
        assert.equal(got.attrs.IPP_PRINT_COLOR_MODE, 'monochrome', 'forced mono');
        assert.equal(got.attrs.IPP_SIDES, 'two-sided-long-edge', 'forced duplex');
        assert.equal(got.attrs.IPP_COPIES, '1');
        assertStatus(await policy({ force_mono: false, force_duplex: false }), 200);
    });
});
