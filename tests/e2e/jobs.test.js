// SPDX-License-Identifier: Apache-2.0
// PRN-1, PRN-2, PRN-5, SEC-2, TEN-3: PDF jobs streamed into the encrypted cloud spool; a job
// is its owner's alone, admins included; bad or oversized documents leave nothing behind.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, assertStatus, createOrgTree, tokenOf } from './lib/server.js';
import { pdfDoc, text } from './lib/pdf.js';

let srv;
let tree;

before(async () => {
    srv = await startServer({ env: { QUIRE_MAX_JOB_MB: '4' } });
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user', 'guest_user'] }],
    ]);
});

after(async () => {
    if (srv)
        await srv.stop();
});

/** A one-page PDF of about size bytes showing marker. */
function pdf(size = 0, marker = 'quire test page') {
    return pdfDoc({ contents: [text(marker)], size });
}

const submit = (token, body, query = '', type = 'application/pdf') => srv.request('POST', `/api/v1/jobs${query}`,
    { token, rawBody: body, headers: { 'Content-Type': type } });

describe('cloud spool', () => {
    test('PRN-2 SEC-2 a PDF is streamed into the spool and stored encrypted', async () => {
        const t = await tokenOf(srv, tree.cA.users.customer_user);
        const doc = pdf(3 * 1024 * 1024, 'SECRET-PAYROLL-MARKER');
        const r = await submit(t, doc, '?name=payroll.pdf&copies=2&color=true&duplex=false');
        assertStatus(r, 201, 'submit');
        assert.equal(r.json.size, doc.length);
        assert.equal(r.json.status, 'held');
        assert.equal(r.json.copies, 2);
        assert.equal(r.json.color, true);
        assert.equal(r.json.pages, 1, 'PRN-2 pages from the document');
        assert.equal(r.json.document_color, false, 'PRN-2 black text is mono, whatever the job asks');
        assert.ok(r.json.expires_at - r.json.created_at === 7 * 86400, 'default retention');
        const file = path.join(srv.dataDir, 'blobs', tree.cA.org.id, r.json.id);
        const stored = fs.readFileSync(file);
        // Ciphertext is random, so only long plaintext runs are proof (a 4-byte "%PDF" turns up by
        // chance in one of about 1,400 random 3 MB files).
        assert.equal(stored.subarray(0, 4).toString(), 'QRB1', 'a quire blob');
        assert.ok(!stored.includes('SECRET-PAYROLL-MARKER') && !stored.includes('%PDF-1.4\n1 0 obj') &&
            !stored.includes('x'.repeat(40)), 'nothing in the clear on disk');
        assert.ok(!fs.existsSync(`${file}.part`));
    });

    test('PRN-2 page count and colour come from the document, not from the client', async () => {
        const t = await tokenOf(srv, tree.cA.users.customer_user);
        const cases = [
            ['1 page, black text', { contents: [text('one')] }, 1, false],
            ['3 pages, red rectangle on page 2', { contents: [text('a'), '1 0 0 rg 10 10 100 100 re f', text('c')] }, 3, true],
            ['2 pages, greys only (gray, equal RGB, black CMYK)', { contents: ['0.5 g 10 10 100 100 re f 0.3 0.3 0.3 rg 20 20 5 5 re f', '0 0 0 0.7 k 10 10 50 50 re f'] }, 2, false],
            ['1 page, blue text', { contents: [`0 0 1 rg ${text('blue')}`] }, 1, true],
            ['5 pages, 300 KiB (several blob chunks)', { contents: [1, 2, 3, 4, 5].map((i) => text(`page ${i}`)), size: 300 * 1024 }, 5, false],
        ];
        for (const [what, spec, pages, color] of cases) {
            const r = await submit(t, pdfDoc(spec), '?color=false');
            assertStatus(r, 201, what);
            assert.equal(r.json.pages, pages, `${what}: pages`);
            assert.equal(r.json.document_color, color, `${what}: document_color`);
            assert.equal(r.json.color, false, `${what}: the job's own colour attribute is kept`);
            const got = await srv.request('GET', `/api/v1/jobs/${r.json.id}`, { token: t });
            assert.equal(got.json.pages, pages, `${what}: pages stored`);
            assert.equal(got.json.document_color, color, `${what}: document_color stored`);
        }
    });

    test('PRN-5 TEN-3 only the owner lists, reads and deletes a job; admins included', async () => {
        const owner = await tokenOf(srv, tree.cA.users.customer_user);
        const other = await tokenOf(srv, tree.cA.users.guest_user);
        const r = await submit(owner, pdf(), '?name=mine.pdf');
        assertStatus(r, 201);
        const id = r.json.id;
        assert.ok((await srv.request('GET', '/api/v1/jobs', { token: owner })).json.items.some((j) => j.id === id));
        for (const [who, token] of [['another user', other], ['customer admin', tree.cA.token], ['provider admin', tree.pA.token]]) {
            assert.ok(!(await srv.request('GET', '/api/v1/jobs', { token })).json.items.some((j) => j.id === id), who);
            assertStatus(await srv.request('GET', `/api/v1/jobs/${id}`, { token }), 404, `${who} reads`);
            assertStatus(await srv.request('DELETE', `/api/v1/jobs/${id}`, { token }), 404, `${who} deletes`);
        }
        assertStatus(await srv.request('DELETE', `/api/v1/jobs/${id}`, { token: owner }), 204);
        assert.ok(!fs.existsSync(path.join(srv.dataDir, 'blobs', tree.cA.org.id, id)), 'the document is deleted from disk');
        assertStatus(await srv.request('GET', `/api/v1/jobs/${id}`, { token: owner }), 404);
    });

    test('PRN-1 bad documents are refused and leave nothing behind', async () => {
        const t = await tokenOf(srv, tree.cA.users.guest_user);
        const before = (await srv.request('GET', '/api/v1/jobs', { token: t })).json.items.length;
        let r = await submit(t, Buffer.from('hello, not a pdf'));
        assertStatus(r, 400);
        assert.equal(r.json.error, 'invalid_document');
        const dir = path.join(srv.dataDir, 'blobs', tree.cA.org.id);
        const stored = () => (fs.existsSync(dir) ? fs.readdirSync(dir).length : 0);
        const files = stored();
        r = await submit(t, pdf().subarray(0, 200));
        assertStatus(r, 400, 'truncated PDF');
        assert.equal(r.json.error, 'invalid_document');
        // Past the cheap header/trailer gate, MuPDF decides: each refusal says what is wrong.
        const refusals = [
            ['garbage between header and trailer', Buffer.from('%PDF-1.7\nnothing to see here\n%%EOF\n'), /not a readable PDF/],
            ['no pages', pdfDoc({ contents: [] }), /no pages/],
            ['password-protected', pdfDoc({ encrypt: `<< /Filter /Standard /V 1 /R 2 /O <${'11'.repeat(32)}> /U <${'22'.repeat(32)}> /P -4 >>` }), /password/],
        ];
        for (const [what, body, message] of refusals) {
            r = await submit(t, body);
            assertStatus(r, 400, what);
            assert.equal(r.json.error, 'invalid_document', what);
            assert.match(r.json.message, message, what);
        }
        assert.equal(stored(), files, 'refused documents are deleted from disk');
        r = await submit(t, pdf(), '', 'text/plain');
        assertStatus(r, 415);
        r = await submit(t, pdf(5 * 1024 * 1024));
        assertStatus(r, 413, 'larger than max_job_mb');
        r = await submit(t, pdf(), '?copies=0');
        assertStatus(r, 400);
        r = await submit(t, pdf(), '?color=maybe');
        assertStatus(r, 400);
        assertStatus(await submit(null, pdf()), 401);
        assert.equal((await srv.request('GET', '/api/v1/jobs', { token: t })).json.items.length, before);
        const parts = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.part')) : [];
        assert.deepEqual(parts, [], 'no half-written documents');
        assertStatus(await srv.request('GET', '/healthz'), 200);
    });
});

test('PRN-6 jobs expire after the retention period and their documents are deleted', async () => {
    const t = await tokenOf(srv, tree.cA.users.customer_user);
    const r = await submit(t, pdf(), '?name=old.pdf');
    assertStatus(r, 201);
    const file = path.join(srv.dataDir, 'blobs', tree.cA.org.id, r.json.id);
    assert.ok(fs.existsSync(file));
    await srv.advanceClock(7 * 86400 - 10);
    assert.ok(fs.existsSync(file), 'still there before the end of the retention');
    await srv.advanceClock(11);
    assert.ok(!fs.existsSync(file), 'the document is gone from disk');
    const again = await tokenOf(srv, tree.cA.users.customer_user);
    assertStatus(await srv.request('GET', `/api/v1/jobs/${r.json.id}`, { token: again }), 404);
});

test('PRN-2 after a crash, unfinished uploads and documents without a job are cleaned up on start', async () => {
    const dir = path.join(srv.dataDir, 'blobs', tree.cA.org.id);
    fs.mkdirSync(dir, { recursive: true });
    const orphan = path.join(dir, 'f'.repeat(32));
    const part = path.join(dir, `${'e'.repeat(32)}.part`);
    fs.writeFileSync(orphan, 'QRB1 left by a kill -9');
    fs.writeFileSync(part, 'QRB1 half');
    const old = new Date(Date.now() - 3600 * 1000);
    fs.utimesSync(orphan, old, old);
    fs.utimesSync(part, old, old);
    const t = await tokenOf(srv, tree.cA.users.customer_user);
    const kept = await submit(t, pdf(), '?name=kept.pdf');
    assertStatus(kept, 201);
    await srv.restart();
    assert.ok(!fs.existsSync(orphan), 'orphaned document removed');
    assert.ok(!fs.existsSync(part), 'unfinished upload removed');
    assert.ok(fs.existsSync(path.join(dir, kept.json.id)), 'a job\'s document stays');
});

test('PRN-5 SEC-2 the owner reads the document back exactly; tampering on disk is detected', async () => {
    const t = await tokenOf(srv, tree.cA.users.customer_user);
    const doc = pdf(2 * 1024 * 1024 + 123, 'round trip');
    const r = await submit(t, doc, '?name=back.pdf');
    assertStatus(r, 201);
    const back = await srv.request('GET', `/api/v1/jobs/${r.json.id}/document`, { token: t });
    assertStatus(back, 200);
    assert.equal(back.headers['content-type'], 'application/pdf');
    assert.ok(back.raw.equals(doc), 'the same bytes come back');
    const other = await tokenOf(srv, tree.cA.users.guest_user);
    assertStatus(await srv.request('GET', `/api/v1/jobs/${r.json.id}/document`, { token: other }), 404);
    assertStatus(await srv.request('GET', `/api/v1/jobs/${r.json.id}/document`, { token: await tokenOf(srv, tree.cA.admin) }), 404, 'admins too');
    // Flip one byte in the middle of the stored file: the answer must not pass for the document.
    const file = path.join(srv.dataDir, 'blobs', tree.cA.org.id, r.json.id);
    const fd = fs.openSync(file, 'r+');
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, 100000);
    b[0] ^= 1;
    fs.writeSync(fd, b, 0, 1, 100000);
    fs.closeSync(fd);
    let ok = false;
    try {
        const bad = await srv.request('GET', `/api/v1/jobs/${r.json.id}/document`, { token: t });
        ok = bad.status === 200 && bad.raw.equals(doc);
    } catch {
        ok = false; // the connection was cut: the client knows the document is incomplete
    }
    assert.equal(ok, false, 'a damaged document is never delivered as if whole');
    assertStatus(await srv.request('GET', '/healthz'), 200, 'the server keeps serving');
});
