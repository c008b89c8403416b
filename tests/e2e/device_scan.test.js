// SPDX-License-Identifier: Apache-2.0
// CAP-1, CAP-2, CAP-3, DEV-2: scanning from the device end to end. quire-device (the reference
// device client) logs a person in at the "panel", lists the workflows they may use with the
// fields to ask, and scans a page through one: starts the scan with index values, uploads the
// file streamed, submits it and follows it until quired's workers have made a searchable PDF
// and filled an index attribute from its text. Bad input changes nothing on the server.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, assertStatus, createOrgTree, tokenOf, BIN_DIR } from './lib/server.js';
import { textPng, pdfText } from './lib/scan.js';

const QUIRE_DEVICE = path.join(BIN_DIR, 'quire-device');
const RUN_TIMEOUT_MS = 180000;

let srv;
let tree;
let device;
let work; // private directory: CA file, the scanned page
let caFile;
let pagePng;
let user; // the person at the panel (password login)
let wf;

const INVOICE = ['ACME Supplies Ltd', 'Invoice No INV-2026-0042', 'Total due 1,234.50 EUR'];

/** Runs quire-device as the device, logged in as user by password (from the environment). */
function quireDevice(args) {
    const env = { ...process.env, QUIRE_DEVICE_SECRET: device.client_secret, QUIRE_PANEL_PASSWORD: user.password };
    for (const k of ['QUIRE_SERVER', 'QUIRE_CA_FILE', 'QUIRE_DEVICE_CLIENT_ID', 'QUIRE_PRINTER'])
        delete env[k];
    const common = ['--server', `https://localhost:${srv.port}`, '--ca-file', caFile, '--client-id', device.client_id,
        '--timeout', '120'];
    return new Promise((resolve) => {
        execFile(QUIRE_DEVICE, [...common, args[0], '--username', user.username, ...args.slice(1)],
            { env, timeout: RUN_TIMEOUT_MS },
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
    assert.match(lines[0], re, `${what}: ${show(r)}`);
}

/** The user's scans, as the user sees them. */
async function scans() {
    const r = await srv.request('GET', '/api/v1/scans', { token: await tokenOf(srv, user) });
    assertStatus(r, 200, 'list scans');
    return r.json.items;
}

before(async () => {
    srv = await startServer({ env: { QUIRE_SCAN_POLL_MS: '50' } });
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user'] }],
    ]);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`,
        { token: tree.pA.token, body: { license: { devices: 1, ocr_pages_per_month: 100 } } }), 200, 'license');
    const d = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`,
        { token: tree.cA.token, body: { serial: 'MFP-SCAN-1', model: 'quire-device' } });
    assertStatus(d, 201, 'register the device');
    device = d.json;
    user = tree.cA.users.customer_user;
    const c = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/classes`, { token: tree.cA.token, body: {
        name: 'Invoice',
        attributes: [
            { name: 'invoice_no', type: 'text', required: true },
            { name: 'total', type: 'number' },
            { name: 'department', type: 'list', values: ['Sales', 'Finance'], required: true },
        ] } });
    assertStatus(c, 201, 'class');
    const w = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/workflows`, { token: tree.cA.token, body: {
        name: 'Invoices', class_id: c.json.id, format: 'pdf_text',
        rules: [{ attribute: 'invoice_no', source: 'text', pattern: 'Invoice No\\s+(INV-[0-9-]+)' }] } });
    assertStatus(w, 201, 'workflow');
    wf = w.json;

    work = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-devscan-'));
    fs.chmodSync(work, 0o700);
    caFile = path.join(work, 'ca.pem');
    fs.writeFileSync(caFile, srv.ca);
    // A name that says nothing: the type comes from the file's first bytes.
    pagePng = path.join(work, 'page-001.scan');
    fs.writeFileSync(pagePng, textPng(INVOICE));
});

after(async () => {
    try {
        if (work)
            fs.rmSync(work, { recursive: true, force: true });
    } finally {
        if (srv)
            await srv.stop();
    }
});

describe('quire-device: scanning through a workflow', () => {
    test('CAP-2 workflows lists the workflow with the fields the panel asks', async () => {
        const r = await quireDevice(['workflows']);
        assert.equal(r.code, 0, show(r));
        const lines = r.stdout.split('\n');
        const head = lines.findIndex((l) => l.startsWith(`workflow ${wf.id} "Invoices" format pdf_text`));
        assert.ok(head >= 0, `the workflow line: ${show(r)}`);
        const fields = lines.slice(head + 1, head + 4);
        assert.deepEqual(fields, [
            '  field invoice_no: text, required, filled by rule',
            '  field total: number, optional',
            '  field department: list (Sales, Finance), required',
        ], show(r));
    });

    test('CAP-2 bad usage is exit 2 with one line, and creates no scan', async () => {
        assertFails(await quireDevice(['scan', '--workflow', wf.id, '--index', 'department=Sales', path.join(work, 'missing.png')]),
            2, /cannot read .*missing\.png/, 'missing file');
        assertFails(await quireDevice(['scan', '--workflow', wf.id, '--index', 'department', pagePng]),
            2, /has no '='/, 'index without =');
        assertFails(await quireDevice(['scan', '--workflow', wf.id, '--index', 'department=Sales']),
            2, /at least one FILE/, 'no file');
        assertFails(await quireDevice(['scan', '--workflow', wf.id, '--colour', 'red', pagePng]),
            2, /unknown option '--colour'/, 'unknown option');
        assertFails(await quireDevice(['scan', '--workflow', wf.id, caFile]),
            2, /not a JPEG, PNG, TIFF or PDF/, 'not an image');
        assertFails(await quireDevice(['scan', '--index', 'department=Sales', pagePng]), 2, /--workflow ID/, 'no workflow');
        assert.deepEqual(await scans(), [], 'nothing was created');
    });

    test('CAP-2 an index value the class refuses is exit 1 with the server\'s code; nothing is created', async () => {
        const r = await quireDevice(['scan', '--workflow', wf.id, '--index', 'department=Legal', pagePng]);
        assertFails(r, 1, /scan refused \(invalid_index\): index 'department' must be one of/, 'list value');
        assert.deepEqual(await scans(), [], 'nothing was created');
    });

    test('CAP-1 CAP-3 DEV-2 scan --wait uploads the page and waits for the indexed, searchable PDF', async () => {
        const r = await quireDevice(['scan', '--workflow', wf.id, '--name', 'acme', '--index', 'department=Finance',
            '--index', 'total=1,234.50', '--wait', pagePng]);
        assert.equal(r.code, 0, show(r));
        assert.equal(r.stderr, '', show(r));
        const m = /^scan ([A-Za-z0-9_-]+): queued, 1 file, 1 page$/m.exec(r.stdout);
        assert.ok(m, `the scan id and status: ${show(r)}`);
        const id = m[1];
        assert.match(r.stdout, new RegExp(`^scan ${id}: done, 1 page scanned, 1 page out, 1 OCR page$`, 'm'), show(r));
        assert.match(r.stdout, /^ {2}index invoice_no = INV-2026-0042$/m, show(r));
        assert.match(r.stdout, /^ {2}index department = Finance$/m, show(r));
        assert.match(r.stdout, /^ {2}index total = 1234\.5$/m, show(r));
        assert.match(r.stdout, /^ {2}document 1: acme\.pdf, \d+ bytes$/m, show(r));
        assert.match(r.stdout, /^ {2}delivery: none/m, show(r));

        const token = await tokenOf(srv, user);
        const s = await srv.request('GET', `/api/v1/scans/${id}`, { token });
        assertStatus(s, 200);
        assert.equal(s.json.status, 'done');
        assert.equal(s.json.index.invoice_no, 'INV-2026-0042', 'filled by the text rule');
        assert.equal(s.json.index.department, 'Finance', 'the value given with --index');
        assert.equal(s.json.device_id, device.id, 'scanned at this device');
        const doc = await srv.request('GET', `/api/v1/scans/${id}/documents/1`, { token });
        assertStatus(doc, 200, 'download');
        const text = pdfText(doc.raw);
        assert.ok(text.includes('INV-2026-0042') && text.includes('ACME'), `the PDF's text layer: ${text}`);
        // The panel session was logged out at the end: only the scan is left on the server.
        assert.equal((await scans()).length, 1);
    });
});
