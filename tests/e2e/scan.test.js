// SPDX-License-Identifier: Apache-2.0
// CAP-1..6, TEN-5, TEN-6, SEC-2, DEV-2: document classes and workflows set up by the org's
// admin, scans started at a device's panel, uploaded, processed by quired's workers
// (Tesseract, Leptonica, ZBar), indexed, counted, kept in the download area or delivered to a
// real WebDAV server (nginx), retried with backoff, and never lost to a kill -9.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, assertStatus, assertError, createOrgTree, createOrg, createUser, tokenOf } from './lib/server.js';
import { textPng, textPdf, qrPng, pdfText, pdfPages } from './lib/scan.js';
import { start as startWebdav } from './lib/webdav.js';

let srv;
let tree;
let device;
let dav;

const INVOICE = ['ACME Supplies Ltd', 'Invoice No INV-2026-0042', 'Date 2026-11-20',
    'Total due 1,234.50 EUR', 'Thank you for your business'];

before(async () => {
    srv = await startServer({ env: { QUIRE_SCAN_WORKERS: '2', QUIRE_SCAN_POLL_MS: '50' } });
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user', 'guest_user', 'print_manager'] }],
        ['cB', { parent: 'pA', type: 'customer', users: ['customer_user'] }],
    ]);
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`,
        { token: tree.pA.token, body: { license: { devices: 2, ocr_pages_per_month: 1000 } } }), 200);
    const d = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`, { token: tree.cA.token, body: { serial: 'SCAN-1' } });
    assertStatus(d, 201);
    device = d.json;
    dav = await startWebdav();
});

after(async () => {
    if (dav)
        await dav.stop();
    if (srv)
        await srv.stop();
});

/** Logs user in at the device's panel by password; returns the panel token. */
async function panelLogin(user) {
    const t = await srv.request('POST', '/oauth/token', {
        rawBody: 'grant_type=client_credentials',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: 'Basic ' + Buffer.from(`${device.client_id}:${device.client_secret}`).toString('base64') } });
    assertStatus(t, 200, 'device token');
    const r = await srv.request('POST', '/api/v1/device/login',
        { token: t.json.access_token, body: { method: 'password', username: user.username, password: user.password } });
    assertStatus(r, 200, 'panel login');
    return r.json.access_token;
}

/** The customer admin's token (renewed as the test clock moves). */
const admin = () => tok(tree.cA.admin);
const alice = () => tree.cA.users.customer_user;

async function newClass(token, orgId, body) {
    const r = await srv.request('POST', `/api/v1/orgs/${orgId}/classes`, { token, body });
    assertStatus(r, 201, 'class');
    return r.json;
}

async function newWorkflow(body) {
    const r = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/workflows`, { token: await admin(), body });
    assertStatus(r, 201, 'workflow');
    return r.json;
}

let invoiceClass;
async function invoice() {
    if (!invoiceClass)
        invoiceClass = await newClass(await admin(), tree.cA.org.id, {
            name: 'Invoice',
            attributes: [
                { name: 'invoice_no', type: 'text', required: true },
                { name: 'total', type: 'number' },
                { name: 'date', type: 'date' },
                { name: 'po', type: 'text' },
                { name: 'department', type: 'list', values: ['Sales', 'Finance'], required: true },
            ],
        });
    return invoiceClass;
}

const upload = (panel, id, body, type = 'image/png') => srv.request('POST', `/api/v1/scans/${id}/files`,
    { token: panel, rawBody: body, headers: { 'Content-Type': type } });

/** Starts a scan, uploads the files, submits it; returns the submitted scan. */
async function scan(panel, workflowId, files, extra = {}) {
    const s = await srv.request('POST', '/api/v1/scans', { token: panel, body: { workflow_id: workflowId, ...extra } });
    assertStatus(s, 201, 'start scan');
    for (const f of files)
        assertStatus(await upload(panel, s.json.id, f), 201, 'upload');
    const q = await srv.request('POST', `/api/v1/scans/${s.json.id}/submit`, { token: panel });
    assertStatus(q, 202, 'submit');
    assert.equal(q.json.status, 'queued');
    return q.json;
}

/** A portal token of user, renewed when the test clock has moved on (tokens live 15 minutes). */
const tokens = new Map();
async function tok(user) {
    const t = tokens.get(user);
    if (t && srv.clockOffset - t.at < 600)
        return t.token;
    const token = await tokenOf(srv, user);
    tokens.set(user, { token, at: srv.clockOffset });
    return token;
}

/** The owner's view of a scan. */
async function getScan(user, id) {
    const r = await srv.request('GET', `/api/v1/scans/${id}`, { token: await tok(user) });
    assertStatus(r, 200);
    return r.json;
}

/** Waits (event polling, bounded) until the scan's status is one of want. */
async function until(user, id, want, ms = 120000) {
    const end = Date.now() + ms;
    let last;
    while (Date.now() < end) {
        last = await srv.request('GET', `/api/v1/scans/${id}`, { token: await tok(user) });
        assertStatus(last, 200);
        if (want.includes(last.json.status))
            return last.json;
        await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`scan ${id} stayed ${last && last.json.status}: ${JSON.stringify(last && last.json)}\n${srv.logTail()}`);
}

describe('setup: classes and workflows (CAP-1, CAP-3, TEN-6)', () => {
    test('CAP-3 a class has typed attributes; bad ones are refused naming the rule', async () => {
        const c = await invoice();
        assert.equal(c.attributes.length, 5);
        assert.deepEqual(c.attributes[4], { name: 'department', type: 'list', required: true, values: ['Sales', 'Finance'] });
        const bad = async (attributes, what) => assertStatus(await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/classes`,
            { token: await admin(), body: { name: `bad-${what}`, attributes } }), 400, what);
        await bad([{ name: 'x', type: 'money' }], 'unknown type');
        await bad([{ name: 'x', type: 'list' }], 'list without values');
        await bad([{ name: 'x y', type: 'text' }], 'name with a space');
        await bad([{ name: 'x', type: 'text', colour: 1 }], 'unknown field');
        await bad([{ name: 'x', type: 'text' }, { name: 'x', type: 'date' }], 'duplicate');
        assertError(await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/classes`,
            { token: await admin(), body: { name: 'Invoice', attributes: [] } }), 409, 'name_taken');
    });

    test('TEN-6 a new child organization starts with a copy of its parent\'s classes', async () => {
        const parentClass = await newClass(tree.pA.token, tree.pA.org.id,
            { name: 'Contract', attributes: [{ name: 'party', type: 'text', required: true }] });
        const child = await createOrg(srv, tree.pA.token, { parentId: tree.pA.org.id, type: 'customer' });
        const childAdmin = await tokenOf(srv, child.admin);
        const list = await srv.request('GET', `/api/v1/orgs/${child.org.id}/classes`, { token: childAdmin });
        assertStatus(list, 200);
        const copy = list.json.items.find((c) => c.name === 'Contract');
        assert.ok(copy, 'the class was copied');
        assert.notEqual(copy.id, parentClass.id, 'a copy, not a link');
        assert.equal(copy.inherited_from, parentClass.id);
        assert.deepEqual(copy.attributes, parentClass.attributes);
        // The copy is the child's own: changing it leaves the parent's alone.
        assertStatus(await srv.request('PATCH', `/api/v1/classes/${copy.id}`, { token: childAdmin, body: { name: 'Contracts' } }), 200);
        assert.equal((await srv.request('GET', `/api/v1/classes/${parentClass.id}`, { token: tree.pA.token })).json.name, 'Contract');
    });

    test('TEN-3 only the org\'s admin sees and changes its capture setup', async () => {
        const c = await invoice();
        for (const [who, token] of [['customer user', await tokenOf(srv, alice())], ['print manager', await tokenOf(srv, tree.cA.users.print_manager)],
            ['other customer admin', tree.cB.token], ['parent provider admin', tree.pA.token]]) {
            assertStatus(await srv.request('GET', `/api/v1/classes/${c.id}`, { token }), 404, who);
            assertStatus(await srv.request('DELETE', `/api/v1/classes/${c.id}`, { token }), 404, who);
            const l = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/workflows`, { token });
            assert.ok(l.status === 404 || l.status === 403, `${who}: ${l.status}`);
        }
    });

    test('CAP-1 a workflow is checked as a whole: format, language, class, rules, destination', async () => {
        const c = await invoice();
        const bad = async (body, what, code = 400) => assertStatus(await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/workflows`,
            { token: await admin(), body: { name: `wf-${what}`, ...body } }), code, what);
        await bad({ format: 'docx' }, 'unknown format');
        await bad({ format: 'pdf_text', steps: { ocr: false } }, 'searchable without OCR');
        await bad({ language: 'xyz' }, 'language not installed');
        await bad({ steps: { sharpen: true } }, 'unknown step');
        await bad({ class_id: c.id, rules: [{ attribute: 'nope', source: 'text', pattern: 'x' }] }, 'rule on an unknown attribute');
        await bad({ class_id: c.id, rules: [{ attribute: 'po', source: 'text', pattern: '(unclosed' }] }, 'bad regular expression');
        await bad({ class_id: '0'.repeat(32) }, 'class of nobody');
        await bad({ folder: '../up' }, 'folder escaping');
        await bad({ format: 'pdf', steps: { ocr: false }, class_id: c.id, rules: [{ attribute: 'po', source: 'text', pattern: 'x' }] }, 'a text rule without OCR');
        await bad({ class_id: c.id, rules: [{ attribute: 'po', source: 'barcode', pattern: 'x' }] }, 'a barcode rule without the barcode step');
        const blank = await newWorkflow({ name: 'No description', description: null, format: 'pdf', steps: { ocr: false } });
        assert.equal(blank.description, '', 'null clears the description');
        const other = await newClass(tree.cB.token, tree.cB.org.id, { name: 'Theirs', attributes: [] });
        await bad({ class_id: other.id }, 'class of another org');
        const w = await newWorkflow({ name: 'Invoices', class_id: c.id, format: 'pdf_text',
            steps: { deskew: true, barcodes: true },
            rules: [{ attribute: 'invoice_no', source: 'text', pattern: 'Invoice No\\s+(INV-[0-9-]+)' },
                { attribute: 'total', source: 'text', pattern: 'Total due\\s+([0-9.,]+)' },
                { attribute: 'po', source: 'barcode', pattern: '^PO-(\\d+)$' }] });
        assert.equal(w.format, 'pdf_text');
        assert.equal(w.steps.ocr, true, 'defaults filled in');
        assert.equal(w.steps.deskew, true);
        assertError(await srv.request('DELETE', `/api/v1/classes/${c.id}`, { token: await admin() }), 409, 'in_use');
    });

    test('CAP-2 the panel lists the workflows the user may use, with the fields to ask', async () => {
        const g = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/groups`, { token: await admin(), body: { name: `hr-${Date.now()}` } });
        assertStatus(g, 201);
        await newWorkflow({ name: 'HR only', groups: [g.json.id], format: 'pdf', steps: { ocr: false } });
        await newWorkflow({ name: 'Disabled', enabled: false, format: 'pdf', steps: { ocr: false } });
        const list = await srv.request('GET', '/api/v1/me/workflows', { token: await panelLogin(alice()) });
        assertStatus(list, 200);
        const names = list.json.items.map((w) => w.name);
        assert.ok(names.includes('Invoices'));
        assert.ok(!names.includes('HR only'), 'not a member of the group');
        assert.ok(!names.includes('Disabled'));
        const inv = list.json.items.find((w) => w.name === 'Invoices');
        const f = Object.fromEntries(inv.fields.map((x) => [x.name, x]));
        assert.equal(f.invoice_no.filled_by_rule, true);
        assert.equal(f.department.filled_by_rule, false);
        assert.equal(f.department.required, true);
        assert.equal(inv.rules, undefined, 'rules stay on the server');
    });
});

describe('scanning (CAP-2..6, TEN-5)', () => {
    let wf;
    before(async () => {
        const l = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/workflows`, { token: await admin() });
        wf = l.json.items.find((w) => w.name === 'Invoices');
    });

    test('CAP-2 index values are checked before anything is accepted', async () => {
        const panel = await panelLogin(alice());
        const start = (body) => srv.request('POST', '/api/v1/scans', { token: panel, body: { workflow_id: wf.id, ...body } });
        assertError(await start({ index: {} }), 400, 'invalid_index', 'required department missing');
        assertError(await start({ index: { department: 'Legal' } }), 400, 'invalid_index', 'not in the list');
        assertError(await start({ index: { department: 'Sales', date: '2026-02-30' } }), 400, 'invalid_index', 'no such date');
        assertError(await start({ index: { department: 'Sales', total: 'lots' } }), 400, 'invalid_index', 'not a number');
        assertError(await start({ index: { department: 'Sales', colour: 'red' } }), 400, 'invalid_index', 'unknown attribute');
        assertStatus(await start({ folder: '../../etc', index: { department: 'Sales' } }), 400, 'folder');
        assertError(await srv.request('POST', '/api/v1/scans', { token: await tokenOf(srv, alice()), body: { workflow_id: wf.id, index: { department: 'Sales' } } }),
            403, 'panel_only', 'a portal token cannot scan');
        const list = await srv.request('GET', '/api/v1/scans', { token: panel });
        assert.equal(list.json.items.length, 0, 'nothing was created');
    });

    test('CAP-1 CAP-3 CAP-5 DEV-2 a scan becomes a searchable, indexed PDF in the download area', async () => {
        const panel = await panelLogin(alice());
        const s = await scan(panel, wf.id, [textPng(INVOICE), qrPng('PO-77123')],
            { name: 'acme-invoice', folder: 'Suppliers/ACME', index: { department: 'Finance' } });
        const done = await until(alice(), s.id, ['done', 'failed']);
        assert.equal(done.status, 'done', JSON.stringify(done.error));
        assert.equal(done.pages_in, 2);
        assert.equal(done.ocr_pages, 2);
        assert.equal(done.index.invoice_no, 'INV-2026-0042', 'filled by the text rule');
        assert.equal(done.index.total, 1234.5, 'a number from "1,234.50"');
        assert.equal(done.index.po, '77123', 'filled from the QR code');
        assert.equal(done.index.department, 'Finance', 'the user\'s value');
        assert.deepEqual(done.index_missing, [], 'every required attribute is filled');
        assert.ok(done.barcodes.some((b) => b.data === 'PO-77123' && b.page === 2));
        assert.equal(done.documents.length, 1);
        assert.equal(done.documents[0].name, 'acme-invoice.pdf');
        const doc = await srv.request('GET', `/api/v1/scans/${s.id}/documents/1`, { token: panel });
        assertStatus(doc, 200);
        assert.equal(doc.headers['content-type'], 'application/pdf');
        assert.match(doc.headers['content-disposition'], /acme-invoice\.pdf/);
        assert.equal(doc.raw.length, done.documents[0].size);
        assert.equal(pdfPages(doc.raw), 2);
        const words = pdfText(doc.raw);
        for (const w of ['ACME', 'INV-2026-0042', '1,234.50', 'business'])
            assert.ok(words.includes(w), `the text layer holds "${w}": ${words}`);
        // SEC-2: what is on disk is not the document.
        const dir = path.join(srv.dataDir, 'scans', tree.cA.org.id);
        for (const f of fs.readdirSync(dir))
            assert.ok(!fs.readFileSync(path.join(dir, f)).includes('%PDF'), 'stored encrypted');
        const usage = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/usage`, { token: await admin() });
        assertStatus(usage, 200);
        assert.ok(usage.json.ocr_pages >= 2 && usage.json.documents >= 1 && usage.json.bytes >= doc.raw.length, JSON.stringify(usage.json));
        const parent = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/usage`, { token: tree.pA.token });
        assertStatus(parent, 200, 'TEN-4 the parent reads its child\'s counters');
        assertStatus(await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/usage`, { token: tree.cB.token }), 404, 'a sibling does not');
        const log = await srv.request('GET', '/api/v1/me/log', { token: await tokenOf(srv, alice()) });
        assert.ok(log.json.items.some((e) => e.type === 'scan' && e.pages === 2 && e.device_id === device.id), 'DEV-2 the scan is logged');
    });

    test('CAP-1 every output format through the server: JPEG per page, multi-page TIFF, PDF/A; PDF input', async () => {
        const panel = await panelLogin(alice());
        const pages = [textPng(['First page of three']), textPdf(['Second page, sent as a PDF']), textPng(['Third page'])];
        const types = ['image/png', 'application/pdf', 'image/png'];
        const run = async (format) => {
            const w = await newWorkflow({ name: `as ${format}`, format, steps: { ocr: format === 'pdfa' } });
            const st = await srv.request('POST', '/api/v1/scans', { token: panel, body: { workflow_id: w.id, name: `out-${format}` } });
            assertStatus(st, 201);
            for (let i = 0; i < pages.length; i++)
                assertStatus(await upload(panel, st.json.id, pages[i], types[i]), 201, `${format} upload ${i + 1}`);
            assertStatus(await srv.request('POST', `/api/v1/scans/${st.json.id}/submit`, { token: panel }), 202);
            const done = await until(alice(), st.json.id, ['done', 'failed']);
            assert.equal(done.status, 'done', JSON.stringify(done.error));
            assert.equal(done.pages_out, 3);
            return done;
        };
        const jpeg = await run('jpeg');
        assert.deepEqual(jpeg.documents.map((d) => d.name), ['out-jpeg-001.jpg', 'out-jpeg-002.jpg', 'out-jpeg-003.jpg']);
        const j2 = await srv.request('GET', `/api/v1/scans/${jpeg.id}/documents/2`, { token: await tok(alice()) });
        assert.equal(j2.headers['content-type'], 'image/jpeg');
        assert.ok(j2.raw.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff])), 'a JPEG');
        const tiff = await run('tiff');
        assert.deepEqual(tiff.documents.map((d) => d.name), ['out-tiff.tif']);
        const t = await srv.request('GET', `/api/v1/scans/${tiff.id}/documents/1`, { token: await tok(alice()) });
        assert.equal(t.headers['content-type'], 'image/tiff');
        assert.ok(['II*\0', 'MM\0*'].includes(t.raw.subarray(0, 4).toString('latin1')), 'a TIFF');
        const pdfa = await run('pdfa');
        const a = await srv.request('GET', `/api/v1/scans/${pdfa.id}/documents/1`, { token: await tok(alice()) });
        assert.equal(pdfPages(a.raw), 3);
        assert.ok(a.raw.includes('pdfaid:part'), 'PDF/A identification in the XMP metadata');
        assert.ok(a.raw.includes('/OutputIntents'), 'an output intent');
        assert.ok(pdfText(a.raw).includes('Second page'), 'the PDF input was recognized too');
    });

    test('TEN-3 PRN-5 a scan is its owner\'s alone; deleting removes its files', async () => {
        const panel = await panelLogin(alice());
        const s = await scan(panel, wf.id, [textPng(['Private page'])], { index: { department: 'Sales' } });
        const d = await until(alice(), s.id, ['done', 'failed']);
        assert.deepEqual(d.index_missing, ['invoice_no'], 'CAP-3 a required value no rule found is reported');
        for (const [who, token] of [['admin', await admin()], ['guest', await tokenOf(srv, tree.cA.users.guest_user)], ['other org', await tokenOf(srv, tree.cB.users.customer_user)]]) {
            assertStatus(await srv.request('GET', `/api/v1/scans/${s.id}`, { token }), 404, who);
            assertStatus(await srv.request('GET', `/api/v1/scans/${s.id}/documents/1`, { token }), 404, who);
            assertStatus(await srv.request('DELETE', `/api/v1/scans/${s.id}`, { token }), 404, who);
        }
        const dir = path.join(srv.dataDir, 'scans', tree.cA.org.id);
        const before = fs.readdirSync(dir).length;
        assertStatus(await srv.request('DELETE', `/api/v1/scans/${s.id}`, { token: panel }), 204);
        assert.equal(fs.readdirSync(dir).length, before - 1, 'the document left the disk');
        assertStatus(await srv.request('GET', `/api/v1/scans/${s.id}`, { token: panel }), 404);
    });

    test('bad files: a clear error, nothing stored, the scan goes on', async () => {
        const panel = await panelLogin(alice());
        const s = await srv.request('POST', '/api/v1/scans', { token: panel, body: { workflow_id: wf.id, index: { department: 'Sales' } } });
        assertStatus(s, 201);
        const id = s.json.id;
        assertError(await srv.request('POST', `/api/v1/scans/${id}/submit`, { token: panel }), 400, 'no_pages');
        assertError(await upload(panel, id, Buffer.from('not an image at all')), 400, 'invalid_image');
        assertError(await upload(panel, id, textPng(['cut']).subarray(0, 300)), 400, 'invalid_image', 'a truncated PNG');
        // A PNG header claiming 20,000 x 20,000 pixels: refused before any pixel is decoded.
        const png = Buffer.from(textPng(['x']));
        png.writeUInt32BE(20000, 16);
        png.writeUInt32BE(20000, 20);
        const big = await upload(panel, id, png);
        assert.equal(big.status, 400, big.text);
        assert.ok(['image_too_large', 'invalid_image'].includes(big.json.error), big.text);
        assertStatus(await upload(panel, id, Buffer.from('x'), 'text/plain'), 415);
        assert.equal((await srv.request('GET', `/api/v1/scans/${id}`, { token: panel })).json.files, 0, 'nothing was recorded');
        assertStatus(await upload(panel, id, textPng(['a good page after bad ones'])), 201);
        assertStatus(await srv.request('POST', `/api/v1/scans/${id}/submit`, { token: panel }), 202);
        assertError(await upload(panel, id, textPng(['late'])), 409, 'not_uploading', 'no files after submit');
        assert.equal((await until(alice(), id, ['done', 'failed'])).status, 'done');
        assertStatus(await srv.request('GET', '/healthz'), 200, 'the server keeps serving');
    });

    test('TEN-5 CAP-5 a scan that would pass the monthly OCR page limit is refused with the figures', async () => {
        const org = await createOrg(srv, tree.pA.token, { parentId: tree.pA.org.id, type: 'customer' });
        assertStatus(await srv.request('PATCH', `/api/v1/orgs/${org.org.id}`,
            { token: tree.pA.token, body: { license: { devices: 1, ocr_pages_per_month: 3 } } }), 200);
        const orgAdmin = await tokenOf(srv, org.admin);
        const d = await srv.request('POST', `/api/v1/orgs/${org.org.id}/devices`, { token: orgAdmin, body: { serial: 'LIM-1' } });
        const w = await srv.request('POST', `/api/v1/orgs/${org.org.id}/workflows`, { token: orgAdmin, body: { name: 'Plain', format: 'pdf_text' } });
        const w2 = await srv.request('POST', `/api/v1/orgs/${org.org.id}/workflows`, { token: orgAdmin, body: { name: 'No OCR', format: 'pdf', steps: { ocr: false } } });
        assertStatus(w, 201);
        const user = await createUser(srv, orgAdmin, org.org, { role: 'customer_user' });
        const t = await srv.request('POST', '/oauth/token', { rawBody: 'grant_type=client_credentials',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded',
                Authorization: 'Basic ' + Buffer.from(`${d.json.client_id}:${d.json.client_secret}`).toString('base64') } });
        const p = await srv.request('POST', '/api/v1/device/login', { token: t.json.access_token,
            body: { method: 'password', username: user.username, password: user.password } });
        const panel = p.json.access_token;
        const page = textPng(['A page']);
        const first = await scan(panel, w.json.id, [page, page]);
        const s = await srv.request('POST', '/api/v1/scans', { token: panel, body: { workflow_id: w.json.id } });
        assertStatus(await upload(panel, s.json.id, page), 201);
        assertStatus(await upload(panel, s.json.id, page), 201);
        const refused = await srv.request('POST', `/api/v1/scans/${s.json.id}/submit`, { token: panel });
        assertError(refused, 409, 'ocr_limit_exceeded');
        assert.match(refused.json.message, /needs 2 OCR pages.*allows 3 per month and 2 are used or reserved/);
        assert.equal((await srv.request('GET', `/api/v1/scans/${s.json.id}`, { token: panel })).json.status, 'uploading', 'nothing changed');
        await scan(panel, w2.json.id, [page, page]); // no OCR: not counted against the limit
        await until(user, first.id, ['done']);
        const u = await srv.request('GET', `/api/v1/orgs/${org.org.id}/usage`, { token: orgAdmin });
        assert.equal(u.json.ocr_pages, 2);
        assert.equal(u.json.ocr_pages_per_month, 3);
    });
});

describe('delivery (CAP-4, CAP-6)', () => {
    let dest;
    let wf;
    before(async () => {
        const d = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/destinations`, { token: await admin(),
            body: { name: 'Archive', kind: 'webdav', settings: { url: dav.url, username: dav.username, ca_certificate: dav.caPem }, secret: dav.password } });
        assertStatus(d, 201, 'destination');
        dest = d.json;
        wf = await newWorkflow({ name: 'To archive', format: 'pdf_text', destination_id: dest.id, folder: 'Scans' });
    });

    test('SEC-2 a destination\'s secret is never shown, and plain HTTP is refused', async () => {
        assert.equal(dest.has_secret, true);
        assert.ok(!JSON.stringify(dest).includes(dav.password));
        const g = await srv.request('GET', `/api/v1/destinations/${dest.id}`, { token: await admin() });
        assert.ok(!g.text.includes(dav.password));
        assertStatus(await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/destinations`, { token: await admin(),
            body: { name: 'Plain', kind: 'webdav', settings: { url: dav.url.replace('https:', 'http:') }, secret: 'x' } }), 400, 'http:// refused');
        assertStatus(await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/destinations`, { token: await admin(),
            body: { name: 'Ftp', kind: 'ftp', settings: {} } }), 400, 'unknown kind');
    });

    test('CAP-4 a scan is delivered to the WebDAV server, into the workflow\'s and the user\'s folder', async () => {
        const panel = await panelLogin(alice());
        const s = await scan(panel, wf.id, [textPng(['Delivered page one'])], { name: 'report', folder: 'Q4 2026' });
        const done = await until(alice(), s.id, ['done', 'failed']);
        assert.equal(done.delivery.status, 'delivered', JSON.stringify(done.delivery));
        const file = path.join(dav.root, 'Scans', 'Q4 2026', 'report.pdf');
        assert.ok(fs.existsSync(file), `delivered at ${file}`);
        assert.ok(pdfText(fs.readFileSync(file)).includes('Delivered'), 'the searchable PDF arrived');
        assert.match(done.delivery.location, /Scans\/Q4%202026\/report\.pdf$/);
        assert.equal(done.documents.length, 0, 'a delivered document leaves the download area');
    });

    test('CAP-6 a failed delivery is retried with backoff, reported, and delivered once fixed', async () => {
        assertStatus(await srv.request('PATCH', `/api/v1/destinations/${dest.id}`, { token: await admin(), body: { secret: 'wrong-password' } }), 200);
        const panel = await panelLogin(alice());
        const s = await scan(panel, wf.id, [textPng(['Retry page'])], { name: 'retry' });
        let st = await until(alice(), s.id, ['delivering', 'done']);
        for (let i = 0; i < 100 && !(st.delivery && st.delivery.attempts >= 1); i++)
            st = await getScan(alice(), s.id);
        assert.equal(st.status, 'delivering');
        assert.equal(st.delivery.status, 'pending');
        assert.equal(st.delivery.attempts, 1);
        assert.match(st.delivery.error, /401/);
        assert.ok(!st.delivery.error.includes('wrong-password'), 'no secret in the reason');
        const now = await srv.clockNow();
        assert.ok(st.delivery.next_attempt_at >= now + 25, 'backoff before the next attempt');
        assert.equal(st.documents.length, 1, 'the document waits in the download area meanwhile');
        // Second attempt after the first backoff: the wait doubles.
        await srv.advanceClock(st.delivery.next_attempt_at - now);
        const t0 = Date.now();
        while (st.delivery.attempts < 2 && Date.now() - t0 < 30000)
            st = await getScan(alice(), s.id);
        assert.equal(st.delivery.attempts, 2);
        const now2 = await srv.clockNow();
        assert.ok(st.delivery.next_attempt_at - now2 >= 55, `the wait doubled: ${st.delivery.next_attempt_at - now2}`);
        assertStatus(await srv.request('PATCH', `/api/v1/destinations/${dest.id}`, { token: await admin(), body: { secret: dav.password } }), 200);
        await srv.advanceClock(st.delivery.next_attempt_at - now2);
        const done = await until(alice(), s.id, ['done']);
        assert.equal(done.delivery.status, 'delivered');
        assert.equal(done.delivery.attempts, 3);
        assert.ok(fs.existsSync(path.join(dav.root, 'Scans', 'retry.pdf')));
    });

    test('CAP-6 after the last attempt the document stays in the user\'s download area with the reason', async () => {
        assertStatus(await srv.request('PATCH', `/api/v1/destinations/${dest.id}`, { token: await admin(), body: { secret: 'wrong-again' } }), 200);
        const panel = await panelLogin(alice());
        const s = await scan(panel, wf.id, [textPng(['Never delivered'])], { name: 'stuck' });
        let st = await until(alice(), s.id, ['delivering', 'done']);
        for (let attempt = 1; attempt < 8; attempt++) {
            const t0 = Date.now();
            while (!(st.delivery && st.delivery.attempts >= attempt) && Date.now() - t0 < 30000)
                st = await getScan(alice(), s.id);
            assert.equal(st.delivery.attempts, attempt);
            await srv.advanceClock(st.delivery.next_attempt_at - await srv.clockNow());
        }
        const done = await until(alice(), s.id, ['done']);
        assert.equal(done.delivery.status, 'failed');
        assert.equal(done.delivery.attempts, 8);
        assert.match(done.delivery.error, /401/);
        assert.equal(done.documents.length, 1);
        const doc = await srv.request('GET', `/api/v1/scans/${s.id}/documents/1`, { token: await tok(alice()) });
        assertStatus(doc, 200);
        assert.ok(pdfText(doc.raw).includes('delivered'), 'the document is kept, never silently dropped');
        assertStatus(await srv.request('PATCH', `/api/v1/destinations/${dest.id}`, { token: await admin(), body: { secret: dav.password } }), 200);
    });
});

describe('crash safety (DESIGN rule 6)', () => {
    test('OPS-3 a SIGTERM while a scan is processed stops at once; the scan is taken up on the next start', async () => {
        const l = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/workflows`, { token: await admin() });
        const wf = l.json.items.find((w) => w.name === 'Invoices');
        const panel = await panelLogin(alice());
        const pages = [1, 2, 3, 4].map((i) => textPng([`Shutdown test page ${i}`, 'Invoice No INV-7']));
        const s = await scan(panel, wf.id, pages, { index: { department: 'Sales' } });
        await until(alice(), s.id, ['processing', 'done']);
        await srv.restart(); // asserts exit status 0 within the stop timeout
        tokens.clear();
        // No lease to wait for: the stopping server put the scan back in the queue.
        const done = await until(alice(), s.id, ['done', 'failed']);
        assert.equal(done.status, 'done', JSON.stringify(done.error));
        assert.equal(done.pages_out, 4);
    });

    test('CAP-6 a kill -9 while a scan is processed loses nothing: it is taken again and counted once', async () => {
        const l = await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/workflows`, { token: await admin() });
        const wf = l.json.items.find((w) => w.name === 'Invoices');
        const panel = await panelLogin(alice());
        const before = (await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/usage`, { token: await admin() })).json;
        const pages = [1, 2, 3, 4].map((i) => textPng([`Crash test page ${i}`, 'Invoice No INV-9']));
        const s = await scan(panel, wf.id, pages, { index: { department: 'Sales' } });
        await until(alice(), s.id, ['processing', 'done']);
        srv.proc.kill('SIGKILL');
        await srv.exited;
        srv.stopped = true;
        if (srv.agent) {
            srv.agent.destroy();
            srv.agent = null;
        }
        await srv.spawn();
        const offset = srv.clockOffset;
        srv.clockOffset = 0;
        if (offset)
            await srv.advanceClock(offset);
        // A scan claimed by the dead process is taken again once its lease is over.
        await srv.advanceClock(1801);
        const done = await until(alice(), s.id, ['done', 'failed']);
        assert.equal(done.status, 'done', JSON.stringify(done.error));
        assert.equal(done.pages_out, 4);
        const after = (await srv.request('GET', `/api/v1/orgs/${tree.cA.org.id}/usage`, { token: await admin() })).json;
        assert.equal(after.ocr_pages - before.ocr_pages, 4, 'counted once');
        assert.equal(after.ocr_pages_reserved, 0, 'no reservation left behind');
        const doc = await srv.request('GET', `/api/v1/scans/${s.id}/documents/1`, { token: await tok(alice()) });
        assert.equal(pdfPages(doc.raw), 4);
    });
});
