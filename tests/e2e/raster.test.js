// SPDX-License-Identifier: Apache-2.0
// PRN-1: the IPP Everywhere queue takes what phones and computers send besides PDF: JPEG,
// PWG raster, Apple raster (URF, AirPrint) and gzip/deflate compressed documents, sent by
// CUPS' ipptool (its own print-job-gzip/-deflate tests unmodified, and Print-Job tickets
// naming each format); each arrives as a held job whose pages and colour are those of the
// document (read back through GET /api/v1/jobs). Raster and JPEG are written by the reference
// writers (libcups' raster writer, libjpeg: bench/rastergen.c). Bad input is refused with
// client-error-document-format-error and stores nothing. The REST upload takes JPEG too.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, assertStatus, createOrgTree, tokenOf, REPO_ROOT } from './lib/server.js';

const IPPTOOL_TIMEOUT_S = 30; // per IPP request (-T)
const IPPTOOL_KILL_MS = 120000; // ipptool ignores SIGTERM (DESIGN 5)
const CUPS_TESTS = '/usr/share/cups/ipptool';

let srv;
let tree;
let work;

/** Runs bench/rastergen (built in before()). */
function gen(...args) {
    execFileSync(path.join(work, 'rastergen'), args.map(String), { cwd: work });
}

before(async () => {
    srv = await startServer({ env: { QUIRE_MAX_JOB_MB: '16' } });
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user'] }],
    ]);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-raster-'));
    fs.mkdirSync(path.join(work, 'home'));
    execFileSync('cc', ['-std=c11', '-D_GNU_SOURCE', '-O2', path.join(REPO_ROOT, 'bench/rastergen.c'),
        '-o', path.join(work, 'rastergen'), '-lcups', '-ljpeg']);
    // 100 dpi pages of 8.5 x 11 in; the colour page has a red square, the others grey bars.
    gen('pwg', 'gray.pwg', 'sgray_8', 3, 850, 1100, 100, 0);
    gen('pwg', 'color.pwg', 'srgb_8', 4, 850, 1100, 100, 2);
    gen('pwg', 'black.pwg', 'black_1', 2, 850, 1100, 100, 0);
    gen('urf', 'color.urf', 'srgb_8', 2, 850, 1100, 100, 1);
    gen('urf', 'gray.urf', 'sgray_8', 5, 850, 1100, 100, 0);
    gen('jpeg', 'photo.jpg', 1200, 900, 1);
    gen('jpeg', 'gray.jpg', 600, 800, 0);
    fs.writeFileSync(path.join(work, 'doc.pdf'), pdf());
    // Damaged documents: a raster cut in the middle of a page, a JPEG that is not one.
    const cut = fs.readFileSync(path.join(work, 'color.pwg'));
    fs.writeFileSync(path.join(work, 'cut.pwg'), cut.subarray(0, Math.floor(cut.length * 0.6)));
    fs.writeFileSync(path.join(work, 'notjpeg.jpg'), Buffer.from('\xff\xd8\xffthis is not a JPEG at all', 'latin1'));
});

after(async () => {
    if (srv)
        await srv.stop();
    if (work)
        fs.rmSync(work, { recursive: true, force: true });
});

/** A one-page PDF with red text (colour). */
function pdf() {
    return Buffer.from(`%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj
4 0 obj << /Length 26 >> stream
1 0 0 rg 72 72 200 200 re f
endstream endobj
trailer << /Root 1 0 R >>
%%EOF
`);
}

/** A PNG of w x h RGB pixels, grey with a red square when color (made here: zlib + CRC-32). */
function png(w, h, color) {
    const chunk = (type, data) => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(data.length);
        const td = Buffer.concat([Buffer.from(type), data]);
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(zlib.crc32(td));
        return Buffer.concat([len, td, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr[8] = 8; // bits
    ihdr[9] = 2; // RGB
    const rows = [];
    for (let y = 0; y < h; y++) {
        const row = Buffer.alloc(1 + 3 * w, 0x80);
        row[0] = 0; // filter: none
        for (let x = 0; color && x < w; x++)
            if (x > w / 4 && x < w / 2 && y > h / 4 && y < h / 2)
                row.set([255, 0, 0], 1 + 3 * x);
        rows.push(row);
    }
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
        chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

function queueUri(user) {
    const cred = `${encodeURIComponent(`${user.username}@${user.slug}`)}:${encodeURIComponent(user.password)}`;
    return `ipps://${cred}@localhost:${srv.port}/ipp/print`;
}

function ipptool(uri, file, testFiles, extra = []) {
    return new Promise((resolve) => {
        const args = ['-T', String(IPPTOOL_TIMEOUT_S), '-t', '-f', file, ...extra, uri, ...testFiles];
        const p = spawn('ipptool', args, {
            cwd: work,
            env: { ...process.env, HOME: path.join(work, 'home'), CUPS_ANYROOT: 'yes' },
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { out += d; });
        const timer = setTimeout(() => p.kill('SIGKILL'), IPPTOOL_KILL_MS);
        p.on('close', (code) => {
            clearTimeout(timer);
            resolve({ code, out });
        });
    });
}

/** A Print-Job ticket for ipptool: document-format and compression as given. */
function ticket(name, { format, compression = '', status = 'successful-ok' }) {
    const file = path.join(work, `${name}.test`);
    const comp = compression ? `ATTR keyword compression ${compression}\n    COMPRESSION ${compression}\n` : '';
    fs.writeFileSync(file, `{
    NAME "Print-Job ${format} ${compression}"
    OPERATION Print-Job
    GROUP operation-attributes-tag
    ATTR charset attributes-charset utf-8
    ATTR naturalLanguage attributes-natural-language en
    ATTR uri printer-uri $uri
    ATTR name requesting-user-name $user
    ATTR name job-name "$jobname"
    ATTR mimeMediaType document-format ${format}
    ${comp}FILE $filename
    STATUS ${status}
    ${status === 'successful-ok' ? 'EXPECT job-id OF-TYPE integer WITH-VALUE >0\n    EXPECT job-state WITH-VALUE 4' : 'EXPECT !job-id'}
}
`);
    return file;
}

async function jobsOf(token) {
    const r = await srv.request('GET', '/api/v1/jobs', { token });
    assertStatus(r, 200, 'list jobs');
    return r.json.items;
}

function blobCount(orgId) {
    const dir = path.join(srv.dataDir, 'blobs', orgId);
    return fs.existsSync(dir) ? fs.readdirSync(dir).length : 0;
}

/** The stored document of a job (the converted PDF). */
async function documentOf(token, id) {
    const r = await srv.request('GET', `/api/v1/jobs/${id}/document`, { token });
    assertStatus(r, 200, 'job document');
    return r.raw;
}

describe('IPP intake of JPEG, PWG raster, Apple raster and compressed documents', () => {
    test('PRN-1 the printer advertises the formats, compressions and raster attributes (ipp-everywhere.test expectations)', async () => {
        const u = tree.cA.users.customer_user;
        const file = path.join(work, 'gpa.test');
        // The EXPECT lines of CUPS' ipp-everywhere.test for these attributes, plus urf-supported.
        fs.writeFileSync(file, `{
    NAME "Get-Printer-Attributes: formats and raster"
    OPERATION Get-Printer-Attributes
    GROUP operation-attributes-tag
    ATTR charset attributes-charset utf-8
    ATTR naturalLanguage attributes-natural-language en
    ATTR uri printer-uri $uri
    ATTR name requesting-user-name $user
    STATUS successful-ok
    EXPECT compression-supported OF-TYPE keyword IN-GROUP printer-attributes-tag WITH-VALUE "deflate"
    EXPECT compression-supported OF-TYPE keyword IN-GROUP printer-attributes-tag WITH-VALUE "gzip"
    EXPECT document-format-supported OF-TYPE mimeMediaType IN-GROUP printer-attributes-tag WITH-VALUE "image/jpeg"
    EXPECT document-format-supported OF-TYPE mimeMediaType IN-GROUP printer-attributes-tag WITH-VALUE "image/pwg-raster"
    EXPECT document-format-supported OF-TYPE mimeMediaType IN-GROUP printer-attributes-tag WITH-VALUE "image/urf"
    EXPECT document-format-supported WITH-VALUE "application/pdf"
    EXPECT document-format-supported WITH-VALUE "application/octet-stream"
    EXPECT pwg-raster-document-resolution-supported OF-TYPE resolution IN-GROUP printer-attributes-tag
    EXPECT pwg-raster-document-resolution-supported WITH-VALUE 300dpi
    EXPECT pwg-raster-document-resolution-supported WITH-VALUE 600dpi
    EXPECT pwg-raster-document-sheet-back OF-TYPE keyword IN-GROUP printer-attributes-tag COUNT 1
    EXPECT pwg-raster-document-type-supported OF-TYPE keyword IN-GROUP printer-attributes-tag
    EXPECT pwg-raster-document-type-supported WITH-VALUE "black_1"
    EXPECT pwg-raster-document-type-supported WITH-VALUE "cmyk_8"
    EXPECT pwg-raster-document-type-supported WITH-VALUE "sgray_8"
    EXPECT pwg-raster-document-type-supported WITH-VALUE "srgb_8"
    EXPECT pwg-raster-document-type-supported WITH-VALUE "srgb_16"
    EXPECT urf-supported OF-TYPE keyword IN-GROUP printer-attributes-tag WITH-VALUE "V1.4"
    EXPECT urf-supported WITH-VALUE "W8"
    EXPECT urf-supported WITH-VALUE "SRGB24"
    EXPECT urf-supported WITH-VALUE "/^RS[0-9-]+$/"
}
`);
        const r = await ipptool(queueUri(u), 'doc.pdf', [file]);
        assert.equal(r.code, 0, r.out);
    });

    test('PRN-1 JPEG, PWG raster and URF arrive held with their pages and colour', async () => {
        const u = tree.cA.users.customer_user;
        const token = await tokenOf(srv, u);
        // [file, document-format, compression, pages, colour]
        const cases = [
            ['photo.jpg', 'image/jpeg', '', 1, true],
            ['gray.jpg', 'image/jpeg', '', 1, false],
            ['gray.pwg', 'image/pwg-raster', '', 3, false],
            ['color.pwg', 'image/pwg-raster', '', 4, true],
            ['black.pwg', 'image/pwg-raster', '', 2, false],
            ['color.urf', 'image/urf', '', 2, true],
            ['gray.urf', 'image/urf', '', 5, false],
            ['color.pwg', 'image/pwg-raster', 'gzip', 4, true],
            ['gray.urf', 'image/urf', 'deflate', 5, false],
            ['photo.jpg', 'image/jpeg', 'gzip', 1, true],
            ['doc.pdf', 'application/pdf', 'deflate', 1, true],
            ['color.urf', 'application/octet-stream', '', 2, true],
        ];
        for (const [file, format, compression, pages, color] of cases) {
            const name = `${file}-${format.replace('/', '_')}-${compression || 'none'}`;
            const r = await ipptool(queueUri(u), file, [ticket(name, { format, compression })], ['-d', `jobname=${name}`]);
            assert.equal(r.code, 0, `${name}: ${r.out}`);
            const job = (await jobsOf(token)).find((j) => j.name === name);
            assert.ok(job, `${name} is in the owner's jobs`);
            assert.equal(job.status, 'held', name);
            assert.equal(job.pages, pages, `${name}: pages`);
            assert.equal(job.document_color, color, `${name}: colour`);
            const doc = await documentOf(token, job.id);
            assert.equal(doc.subarray(0, 5).toString(), '%PDF-', `${name}: the spool keeps a PDF`);
        }
    });

    test('PRN-1 CUPS print-job-gzip.test and print-job-deflate.test pass unmodified (PDF and PWG raster)', async () => {
        const u = tree.cA.users.customer_user;
        const token = await tokenOf(srv, u);
        const before = new Set((await jobsOf(token)).map((j) => j.id));
        for (const file of ['doc.pdf', 'color.pwg', 'photo.jpg']) {
            for (const t of ['print-job-gzip.test', 'print-job-deflate.test']) {
                const r = await ipptool(queueUri(u), file, [path.join(CUPS_TESTS, t)]);
                assert.equal(r.code, 0, `${t} with ${file}:\n${r.out}`);
            }
        }
        // Six new jobs (jobs of one second list in random order: found by id), two of each file.
        const added = (await jobsOf(token)).filter((j) => !before.has(j.id));
        assert.equal(added.length, 6);
        assert.deepEqual(added.map((j) => j.pages).sort(), [1, 1, 1, 1, 4, 4]);
        assert.deepEqual(added.map((j) => j.document_color), [true, true, true, true, true, true]);
    });

    test('PRN-1 damaged raster, JPEG and compressed data get document-format-error and store nothing', async () => {
        const u = tree.cA.users.customer_user;
        const token = await tokenOf(srv, u);
        const jobsBefore = (await jobsOf(token)).length;
        const blobsBefore = blobCount(tree.cA.org.id);
        const refused = 'client-error-document-format-error';
        const cases = [
            ['cut.pwg', 'image/pwg-raster', ''],
            ['doc.pdf', 'image/pwg-raster', ''],
            ['gray.pwg', 'image/urf', ''],
            ['notjpeg.jpg', 'image/jpeg', ''],
            ['doc.pdf', 'application/pdf', 'gzip'], // says gzip, is not
        ];
        for (const [file, format, compression] of cases) {
            const name = `bad-${file}-${format.replace('/', '_')}`;
            const t = ticket(name, { format, status: refused });
            // A document that claims a compression it does not have: the attribute only.
            if (compression)
                fs.writeFileSync(t, fs.readFileSync(t, 'utf8').replace('FILE $filename',
                    `ATTR keyword compression ${compression}\n    FILE $filename`));
            const r = await ipptool(queueUri(u), file, [t], ['-d', `jobname=${name}`]);
            assert.equal(r.code, 0, `${name}: ${r.out}`);
        }
        assert.equal((await jobsOf(token)).length, jobsBefore, 'no job was stored');
        assert.equal(blobCount(tree.cA.org.id), blobsBefore, 'no document was left behind');
    });

    test('PRN-1 POST /api/v1/jobs takes JPEG, PNG and PWG raster by Content-Type; other types get 415', async () => {
        const u = tree.cA.users.customer_user;
        const token = await tokenOf(srv, u);
        const jpg = fs.readFileSync(path.join(work, 'photo.jpg'));
        let r = await srv.request('POST', '/api/v1/jobs?name=rest-photo', { token, rawBody: jpg, headers: { 'Content-Type': 'image/jpeg' } });
        assertStatus(r, 201, 'JPEG upload');
        assert.equal(r.json.pages, 1);
        assert.equal(r.json.document_color, true);
        for (const [color, name] of [[true, 'rest-png-color'], [false, 'rest-png-gray']]) {
            r = await srv.request('POST', `/api/v1/jobs?name=${name}`, { token, rawBody: png(300, 200, color), headers: { 'Content-Type': 'image/png' } });
            assertStatus(r, 201, name);
            assert.equal(r.json.pages, 1, name);
            assert.equal(r.json.document_color, color, name);
        }
        const pwg = fs.readFileSync(path.join(work, 'gray.pwg'));
        r = await srv.request('POST', '/api/v1/jobs?name=rest-pwg', { token, rawBody: pwg, headers: { 'Content-Type': 'image/pwg-raster' } });
        assertStatus(r, 201, 'PWG upload');
        assert.equal(r.json.pages, 3);
        assert.equal(r.json.document_color, false);
        r = await srv.request('POST', '/api/v1/jobs?name=rest-bad', { token, rawBody: jpg.subarray(0, 20), headers: { 'Content-Type': 'image/urf' } });
        assertStatus(r, 400, 'not URF');
        assert.equal(r.json.error, 'invalid_document');
        assert.match(r.json.message, /UNIRAST/);
        r = await srv.request('POST', '/api/v1/jobs', { token, rawBody: jpg, headers: { 'Content-Type': 'image/gif' } });
        assertStatus(r, 415, 'GIF');
        assert.match(r.json.message, /image\/jpeg/);
        // gzip over HTTP is not a job format of its own: a gzip body sent as application/pdf is not a PDF.
        r = await srv.request('POST', '/api/v1/jobs', { token, rawBody: zlib.gzipSync(pdf()), headers: { 'Content-Type': 'application/pdf' } });
        assertStatus(r, 400, 'gzip body as PDF');
    });
});
