// SPDX-License-Identifier: Apache-2.0
// PRN-1, PRN-3, PRN-5, PRN-6: CUPS' own IPP test files, unmodified, against quired's queue,
// and the life of a job as IPP clients see it while it stays a held secure-print job.
//
// The CUPS files are copied byte for byte from /usr/share/cups/ipptool (the test asserts they
// are identical) into a scratch directory, so that their INCLUDEs and FILEs resolve there.
//
// One adaptation, outside the files: ipp-1.1.test (included by ipp-2.0.test and
// ipp-everywhere.test) waits for a printed job to complete on its own ("Get-Job-Attributes
// Until Job Complete"). A quire job is held until its owner releases it at an MFP (PRN-3), so
// while these files run, a helper plays that MFP: a registered device whose panel the owner
// signed in to releases every held job of the owner and reports it printed, through the
// same API a real device uses (POST /api/v1/jobs/{id}/release, then /result). The jobs the
// files print then complete as they would on a printer that prints at once.
//
// The data files the create-job*.test files name (../data/testprint.ps, from CUPS' source
// tree) are not installed by Debian; a PDF is supplied under that name, since quire takes PDF
// (PRN-1). Two of those files test cupsd-specific behaviour and fail against any IPP
// Everywhere printer that does not print PostScript or banner pages; they are run, and the
// test asserts that they fail exactly there (see each test).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, assertStatus, createOrgTree, tokenOf, REPO_ROOT } from './lib/server.js';
import { CUPS_TESTS, counts, failures, ipptool, queueUri } from './lib/ipptool.js';
import { makePdf } from './lib/pdf.js';

const CUPS_FILES = ['ipp-1.1.test', 'ipp-2.0.test', 'ipp-everywhere.test', 'create-job.test',
    'create-job-format.test', 'create-job-sheets.test', 'create-job-timeout.test',
    'print-job-deflate.test', 'print-job-gzip.test', 'identify-printer.test'];
const DOCUMENT_TIMEOUT_S = 300; // QR_JOB_DOCUMENT_TIMEOUT, multiple-operation-time-out

let srv;
let tree;
let work; // scratch: the CUPS files (work/ipptool), their data (work/data), ipptool's HOME
let dir; // work/ipptool
let device; // {client_id, client_secret}
let advertised; // {formats, compression} from Get-Printer-Attributes

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
    srv = await startServer({ env: { QUIRE_MAX_JOB_MB: '8' } });
    tree = await createOrgTree(srv, [
        ['pA', { type: 'provider' }],
        ['cA', { parent: 'pA', type: 'customer', users: ['customer_user', 'guest_user'] }],
    ]);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'quire-ippconf-'));
    dir = path.join(work, 'ipptool');
    fs.mkdirSync(path.join(dir, 'home'), { recursive: true });
    fs.mkdirSync(path.join(work, 'data'));
    for (const f of CUPS_FILES)
        fs.copyFileSync(path.join(CUPS_TESTS, f), path.join(dir, f));
    const doc = makePdf({ pages: 1 });
    for (const f of ['doc.pdf', 'document-a4.pdf', 'document-letter.pdf'])
        fs.writeFileSync(path.join(dir, f), doc);
    fs.writeFileSync(path.join(work, 'data', 'testprint.ps'), doc);
    // ipptool checks that every FILE of a suite exists before it runs; the tests of formats
    // the queue does not take (PostScript) are skipped by the files themselves. The JPEG tests
    // run (PRN-1) with JPEGs written by libjpeg (bench/rastergen.c).
    for (const f of ['document-a4.ps', 'document-letter.ps'])
        fs.writeFileSync(path.join(dir, f), 'not used\n');
    execFileSync('cc', ['-std=c11', '-D_GNU_SOURCE', '-O2', path.join(REPO_ROOT, 'bench/rastergen.c'),
        '-o', path.join(work, 'rastergen'), '-lcups', '-ljpeg']);
    execFileSync(path.join(work, 'rastergen'), ['jpeg', 'color.jpg', '640', '480', '1'], { cwd: dir });
    execFileSync(path.join(work, 'rastergen'), ['jpeg', 'gray.jpg', '480', '640', '0'], { cwd: dir });
    assertStatus(await srv.request('PATCH', `/api/v1/orgs/${tree.cA.org.id}`,
        { token: tree.pA.token, body: { license: { devices: 1 } } }), 200, 'device license');
    const d = await srv.request('POST', `/api/v1/orgs/${tree.cA.org.id}/devices`,
        { token: tree.cA.token, body: { serial: 'IPP-CONFORMANCE-1' } });
    assertStatus(d, 201, 'register the releasing device');
    device = d.json;
    advertised = await printerAttributes(tree.cA.users.customer_user);
});

after(async () => {
    if (srv)
        await srv.stop();
    if (work)
        fs.rmSync(work, { recursive: true, force: true });
});

/** Writes an ipptool test file of our own into the scratch directory; returns its name. */
function ticket(name, text) {
    fs.writeFileSync(path.join(dir, name), text);
    return name;
}

/** One ipptool test: its name, operation, the operation attributes every request starts with
 * (charset, language, printer-uri), then body (GROUP, ATTR, FILE, STATUS, EXPECT lines). */
function req(name, operation, body) {
    return `{
    NAME "${name}"
    OPERATION ${operation}
    GROUP operation-attributes-tag
    ATTR charset attributes-charset utf-8
    ATTR naturalLanguage attributes-natural-language en
    ATTR uri printer-uri $uri
${body.trim().split('\n').map((l) => `    ${l.trim()}`).join('\n')}
}
`;
}

/** Runs a test file of ours as user; asserts that every one of its tests passed (ipptool
 * exits 0 even when it cannot parse a file, so the passes are counted). Returns the run. */
async function runTicket(user, file, extra = []) {
    const r = await ipptool(dir, queueUri(srv, user), [file], extra);
    const tests = (fs.readFileSync(path.join(dir, file), 'utf8').match(/^\s*NAME /gm) || []).length;
    assert.equal(r.code, 0, `${file}:\n${r.out}`);
    assert.deepEqual(counts(r.out), { pass: tests, fail: 0, skip: 0 }, `${file}:\n${r.out}`);
    return r;
}

/** document-format-supported and compression-supported, as ipptool reads them. */
async function printerAttributes(user) {
    const t = ticket('probe.test', req('what the queue advertises', 'Get-Printer-Attributes', `
    ATTR keyword requested-attributes document-format-supported,compression-supported
    STATUS successful-ok
    DISPLAY document-format-supported
    DISPLAY compression-supported
`));
    const r = await runTicket(user, t);
    const values = (name) => (r.out.match(new RegExp(`${name} \\([^)]*\\) = (.*)`)) || [null, ''])[1].split(',');
    return { formats: values('document-format-supported'), compression: values('compression-supported') };
}

/** A device's client-credentials token. */
async function deviceToken() {
    const t = await srv.request('POST', '/oauth/token', {
        rawBody: 'grant_type=client_credentials',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: 'Basic ' + Buffer.from(`${device.client_id}:${device.client_secret}`).toString('base64') } });
    assertStatus(t, 200, 'device token');
    return t.json.access_token;
}

/** The owner signs in at the device's panel; returns the panel session's token. */
async function panelOf(user) {
    const p = await srv.request('POST', '/api/v1/device/login',
        { token: await deviceToken(), body: { method: 'password', username: user.username, password: user.password } });
    assertStatus(p, 200, 'panel login');
    return p.json.access_token;
}

/** Releases job at the panel and reports it printed as released; returns the release answer. */
async function releaseAndPrint(panel, job) {
    const rel = await srv.request('POST', `/api/v1/jobs/${job.id}/release`, { token: panel });
    if (rel.status !== 200)
        return null; // canceled meanwhile by the test file: nothing to print
    const p = rel.json.print;
    const done = await srv.request('POST', `/api/v1/jobs/${job.id}/result`,
        { token: panel, body: { status: 'printed', pages: p.pages, copies: p.copies, color: p.color, duplex: p.duplex } });
    assertStatus(done, 200, 'report printed');
    return rel.json;
}

/** The adaptation (see the file header): while fn runs, the owner's held jobs are released at
 * the device and printed, as an MFP at which the owner signed in would. Returns fn's value
 * and how many jobs were printed. */
async function withReleasingDevice(user, fn) {
    const panel = await panelOf(user);
    let running = true;
    let printed = 0;
    const loop = (async () => {
        while (running) {
            const r = await srv.request('GET', '/api/v1/jobs', { token: panel });
            assertStatus(r, 200, 'the panel lists the owner\'s jobs');
            for (const j of r.json.items.filter((x) => x.status === 'held'))
                printed += (await releaseAndPrint(panel, j)) ? 1 : 0;
            await pause(200);
        }
    })();
    try {
        const value = await fn();
        return { value, printed };
    } finally {
        running = false;
        await loop;
    }
}

/** Runs one CUPS file as the user; returns {code, out, c: counts, failed: failures}. */
async function runCups(user, file, extra = []) {
    assert.ok(fs.readFileSync(path.join(dir, file)).equals(fs.readFileSync(path.join(CUPS_TESTS, file))),
        `${file} is CUPS' own, unmodified`);
    const r = await ipptool(dir, queueUri(srv, user), [file], extra);
    return { ...r, c: counts(r.out), failed: failures(r.out) };
}

function report(file, r) {
    // The result of each CUPS file, for the record of the run.
    console.log(`# ${file}: ${JSON.stringify(r.c)}${r.failed.length ? ` failed: ${r.failed.map((f) => f.name).join('; ')}` : ''}`);
}

const hasRasterFormats = () => advertised.formats.includes('image/jpeg') && advertised.formats.includes('image/pwg-raster');

describe('CUPS\' IPP test files, unmodified', () => {
    for (const [file, version] of [['ipp-1.1.test', '1.1'], ['ipp-2.0.test', '2.0']]) {
        test(`PRN-1 ${file} passes (held jobs released at a device while it runs)`, async () => {
            const u = tree.cA.users.customer_user;
            const { value: r, printed } = await withReleasingDevice(u, () => runCups(u, file, ['-V', version]));
            report(file, r);
            assert.equal(r.c.fail, 0, r.out.slice(-5000));
            assert.equal(r.code, 0, r.out.slice(-3000));
            assert.ok(r.c.pass >= 30, `the suite ran: ${JSON.stringify(r.c)}`);
            assert.ok(printed >= 1, 'the job the suite waits for was released and printed');
            assert.match(r.out, /Get-Job-Attributes Until Job Complete\s+\[PASS\]/);
            assert.match(r.out, /which-jobs=completed\)\s+\[PASS\]/);
            assert.match(r.out, /Cancel-Job Operation \(completed job\)\s+\[PASS\]/);
        });
    }

    // PWG 5100.14 also requires image/jpeg and image/pwg-raster (with pwg-raster-document-*),
    // which the conversion at intake brings (issue 15 part B, src/print/convert.c). Until the
    // queue advertises them, the only failures allowed are the expectations about them.
    test('PRN-1 ipp-everywhere.test passes (raster formats: once advertised)', async () => {
        const u = tree.cA.users.customer_user;
        const { value: r } = await withReleasingDevice(u, () => runCups(u, 'ipp-everywhere.test', ['-V', '2.0']));
        report('ipp-everywhere.test', r);
        assert.ok(r.c.pass >= 30, `the suite ran: ${JSON.stringify(r.c)}`);
        if (hasRasterFormats()) {
            assert.equal(r.c.fail, 0, r.out.slice(-5000));
            assert.equal(r.code, 0);
            return;
        }
        assert.deepEqual(r.failed.map((f) => f.name), ['PWG 5100.14 section 5.1/5.2 - Required Operations and Attributes'],
            `only the required-formats test fails:\n${r.out.slice(-5000)}`);
        const expected = r.failed[0].lines.filter((l) => l.startsWith('EXPECTED:'));
        assert.ok(expected.length > 0, r.out.slice(-3000));
        for (const l of expected)
            assert.match(l, /image\/jpeg|image\/pwg-raster|pwg-raster-document/, `a failure about the raster formats only: ${l}`);
    });

    test('PRN-1 create-job.test and create-job-sheets.test pass', async () => {
        const u = tree.cA.users.customer_user;
        for (const file of ['create-job.test', 'create-job-sheets.test']) {
            const r = await runCups(u, file);
            report(file, r);
            assert.equal(r.c.fail, 0, `${file}:\n${r.out}`);
            assert.equal(r.code, 0, r.out);
        }
    });

    // create-job-format.test sends application/postscript, which an IPP Everywhere printer
    // need not take and quire does not (PRN-1: PDF, JPEG, PWG and Apple raster).
    test('PRN-1 create-job-format.test: PostScript is refused as not supported, nothing else fails', async () => {
        const u = tree.cA.users.customer_user;
        const r = await runCups(u, 'create-job-format.test', ['-I']);
        report('create-job-format.test', r);
        assert.deepEqual(r.failed.map((f) => f.name), ['... and send-document'], r.out);
        assert.match(r.out, /client-error-document-format-not-supported/);
    });

    // create-job-timeout.test asks for banner pages (job-sheets unclassified), which the
    // queue ignores and reports (successful-ok-ignored-or-substituted-attributes where the file
    // wants successful-ok), and omits last-document in Send-Document, which RFC 8011 4.3.1.1
    // requires and ipp-1.1.test ("Send-Document missing last-document") checks is refused.
    test('PRN-1 create-job-timeout.test: fails exactly where it contradicts RFC 8011 / ipp-1.1.test', async () => {
        const u = tree.cA.users.customer_user;
        const r = await runCups(u, 'create-job-timeout.test', ['-I']); // -I: go on after a failure
        report('create-job-timeout.test', r);
        assert.deepEqual(r.failed.map((f) => f.name), ['Print test page using create-job', '... and send-document'], r.out);
        assert.match(r.failed[0].lines.join('\n'), /successful-ok-ignored-or-substituted-attributes/);
        assert.match(r.failed[1].lines.join('\n'), /client-error-bad-request/);
    });

    for (const [file, method] of [['print-job-deflate.test', 'deflate'], ['print-job-gzip.test', 'gzip']]) {
        test(`PRN-1 ${file} passes (compression ${method}: once advertised)`, async (t) => {
            if (!advertised.compression.includes(method)) {
                t.skip(`the queue does not advertise compression ${method} yet: it comes with issue 15 part B`);
                return;
            }
            const r = await runCups(tree.cA.users.customer_user, file);
            report(file, r);
            assert.equal(r.c.fail, 0, r.out);
            assert.equal(r.code, 0, r.out);
        });
    }

    test('PRN-1 identify-printer.test passes (answered; a cloud queue shows nothing)', async () => {
        const r = await runCups(tree.cA.users.customer_user, 'identify-printer.test');
        report('identify-printer.test', r);
        assert.equal(r.c.fail, 0, r.out);
        assert.equal(r.code, 0, r.out);
    });
});

describe('a job\'s life through IPP', () => {
    const jobsOf = async (token) => {
        const r = await srv.request('GET', '/api/v1/jobs', { token });
        assertStatus(r, 200, 'list jobs');
        return r.json.items;
    };

    test('PRN-1 Create-Job, Send-Document, Close-Job: incoming, then held; one document per job', async () => {
        const u = tree.cA.users.customer_user;
        const t = ticket('life.test', req('Create-Job', 'Create-Job', `
    ATTR name job-name "life-$uniq"
    GROUP job-attributes-tag
    ATTR integer copies 2
    STATUS successful-ok
    EXPECT job-id OF-TYPE integer WITH-VALUE >0
    EXPECT job-state WITH-VALUE 4
    EXPECT job-state-reasons WITH-VALUE job-incoming
`) + req('Close-Job before the document', 'Close-Job', `
    ATTR integer job-id $job-id
    STATUS client-error-not-possible
`) + req('Send-Document', 'Send-Document', `
    ATTR integer job-id $job-id
    ATTR mimeMediaType document-format application/pdf
    ATTR boolean last-document true
    FILE doc.pdf
    STATUS successful-ok
    EXPECT job-state WITH-VALUE 4
    EXPECT job-state-reasons WITH-VALUE job-hold-until-specified
`) + req('a second document', 'Send-Document', `
    ATTR integer job-id $job-id
    ATTR boolean last-document true
    FILE doc.pdf
    STATUS server-error-multiple-document-jobs-not-supported
`) + req('an empty Send-Document that closes the job', 'Send-Document', `
    ATTR integer job-id $job-id
    ATTR boolean last-document true
    STATUS successful-ok
`) + req('Close-Job', 'Close-Job', `
    ATTR integer job-id $job-id
    STATUS successful-ok
    EXPECT job-state WITH-VALUE 4
`));
        await runTicket(u, t, ['-d', 'uniq=a1']);
        const token = await tokenOf(srv, u);
        const job = (await jobsOf(token)).find((j) => j.name === 'life-a1');
        assert.equal(job.status, 'held');
        assert.equal(job.copies, 2);
        assert.equal(job.pages, 1);
        assert.equal(job.size, fs.statSync(path.join(dir, 'doc.pdf')).size);
    });

    test('PRN-6 a created job whose document never comes is aborted after multiple-operation-time-out', async () => {
        const u = tree.cA.users.customer_user;
        const t = ticket('timeout.test', req('Create-Job', 'Create-Job', `
    ATTR name job-name "never-$uniq"
    STATUS successful-ok
`));
        await runTicket(u, t, ['-d', 'uniq=b1']);
        const token = await tokenOf(srv, u);
        assert.equal((await jobsOf(token)).find((j) => j.name === 'never-b1').status, 'incoming');
        await srv.advanceClock(DOCUMENT_TIMEOUT_S - 10);
        assert.equal((await jobsOf(await tokenOf(srv, u))).find((j) => j.name === 'never-b1').status, 'incoming',
            'still waiting within the time-out');
        await srv.advanceClock(20);
        const job = (await jobsOf(await tokenOf(srv, u))).find((j) => j.name === 'never-b1');
        assert.equal(job.status, 'aborted');
        assert.match(job.reason, /no document arrived/);
    });

    test('PRN-1 unsupported operation attributes (job-password, job-hold-until) are reported; indefinite is accepted', async () => {
        const u = tree.cA.users.customer_user;
        const t = ticket('unsupported.test', req('job-password and job-hold-until as operation attributes', 'Print-Job', `
    ATTR name job-name "unsup-$uniq"
    ATTR octetString job-password "1234"
    ATTR keyword job-hold-until weekend
    FILE doc.pdf
    STATUS successful-ok-ignored-or-substituted-attributes
    EXPECT job-password IN-GROUP unsupported-attributes-tag
    EXPECT job-hold-until IN-GROUP unsupported-attributes-tag
    EXPECT job-state WITH-VALUE 4
`) + req('job-hold-until indefinite: what every job gets', 'Print-Job', `
    ATTR keyword job-hold-until indefinite
    FILE doc.pdf
    STATUS successful-ok
    EXPECT !job-hold-until
`));
        await runTicket(u, t, ['-d', 'uniq=c1']);
    });

    test('PRN-1 PRN-3 page-ranges: kept with the job, counted, passed to the device at release; completed jobs are listed', async () => {
        const u = tree.cA.users.customer_user;
        fs.writeFileSync(path.join(dir, 'five.pdf'), makePdf({ pages: 5 }));
        const t = ticket('ranges.test', req('Print-Job with page-ranges', 'Print-Job', `
    ATTR name job-name "ranges-$uniq"
    GROUP job-attributes-tag
    ATTR rangeOfInteger page-ranges 2-3,5-5
    FILE five.pdf
    STATUS successful-ok
`) + req('page-ranges out of order', 'Print-Job', `
    GROUP job-attributes-tag
    ATTR rangeOfInteger page-ranges 3-4,1-2
    FILE five.pdf
    STATUS client-error-attributes-or-values-not-supported
    EXPECT page-ranges IN-GROUP unsupported-attributes-tag
`));
        await runTicket(u, t, ['-d', 'uniq=d1']);
        const token = await tokenOf(srv, u);
        const job = (await jobsOf(token)).find((j) => j.name === 'ranges-d1');
        assert.equal(job.page_ranges, '2-3,5-5');
        assert.equal(job.pages, 3, 'pages 2, 3 and 5 of 5');
        const rel = await releaseAndPrint(await panelOf(u), job);
        assert.equal(rel.page_ranges, '2-3,5-5', 'the device gets the page ranges');
        assert.equal(rel.print.pages, 3);
        const q = ticket('completed.test', req('Get-Jobs which-jobs=completed', 'Get-Jobs', `
    ATTR keyword which-jobs completed
    ATTR keyword requested-attributes job-id,job-state,job-impressions-completed,page-ranges
    STATUS successful-ok
    EXPECT job-id WITH-VALUE ${job.number}
    EXPECT job-state WITH-VALUE 9
`) + req('Get-Job-Attributes of the printed job', 'Get-Job-Attributes', `
    ATTR integer job-id ${job.number}
    STATUS successful-ok
    EXPECT job-state WITH-VALUE 9
    EXPECT job-impressions-completed WITH-VALUE 3
    EXPECT page-ranges WITH-VALUE 2-3
`) + req('Cancel-Job of the printed job', 'Cancel-Job', `
    ATTR integer job-id ${job.number}
    STATUS client-error-not-possible
`));
        await runTicket(u, q);
    });

    test('PRN-5 TEN-3 Cancel-My-Jobs cancels one\'s own waiting jobs only; Cancel-Jobs is refused to everyone', async () => {
        const owner = tree.cA.users.customer_user;
        const other = tree.cA.users.guest_user;
        const print = (name) => ticket(`p-${name}.test`, req('Print-Job', 'Print-Job', `
    ATTR name job-name "${name}"
    FILE doc.pdf
    STATUS successful-ok
`));
        for (const [u, n] of [[owner, 'mine-1'], [owner, 'mine-2'], [other, 'theirs-1']])
            await runTicket(u, print(n));
        const cancel = ticket('cancel-my.test', req('Cancel-Jobs', 'Cancel-Jobs', `
    STATUS client-error-forbidden
`) + req('Cancel-My-Jobs', 'Cancel-My-Jobs', `
    STATUS successful-ok
`));
        for (const u of [owner, tree.cA.admin])
            await runTicket(u, cancel);
        const mine = await jobsOf(await tokenOf(srv, owner));
        for (const n of ['mine-1', 'mine-2'])
            assert.equal(mine.find((j) => j.name === n).status, 'canceled', `${n} canceled, still listed`);
        const theirs = await jobsOf(await tokenOf(srv, other));
        assert.equal(theirs.find((j) => j.name === 'theirs-1').status, 'held', 'another user\'s job is untouched');
    });
});

describe('errors as a print client shows them', () => {
    test('PRN-4 a used-up monthly quota refuses the job when it is printed, with a status-message that says so', async () => {
        const u = tree.cA.users.guest_user;
        assertStatus(await srv.request('PUT', `/api/v1/users/${u.id}/quota`, { token: tree.cA.token, body: { monthly_pages: 1 } }),
            200, 'a quota of one page');
        const print = (name, want) => ticket(`quota-${name}.test`, req('Print-Job', 'Print-Job', `
    ATTR name job-name "${name}"
    FILE doc.pdf
    STATUS ${want}
    DISPLAY status-message
`));
        await runTicket(u, print('quota-e1', 'successful-ok'));
        const items = (await srv.request('GET', '/api/v1/jobs', { token: await tokenOf(srv, u) })).json.items;
        const job = items.find((j) => j.name === 'quota-e1');
        assert.ok(await releaseAndPrint(await panelOf(u), job), 'the one page is printed');
        const refused = await runTicket(u, print('quota-e2', 'client-error-not-possible'));
        assert.match(refused.out, /status-message .*your print quota for \d{4}-\d{2} is used up \(1 of 1 pages\)/);
        const jobs = (await srv.request('GET', '/api/v1/jobs', { token: await tokenOf(srv, u) })).json.items;
        assert.ok(!jobs.some((j) => j.name === 'quota-e2'), 'nothing stored');
    });
});

describe('the printer description points at what exists', () => {
    /** The value(s) of a printer attribute, as ipptool displays them. */
    async function displayed(names) {
        const t = ticket('describe.test', req('printer description', 'Get-Printer-Attributes', `
    ATTR keyword requested-attributes ${names.join(',')}
    STATUS successful-ok
    ${names.map((n) => `    DISPLAY ${n}`).join('\n')}
`));
        const r = await runTicket(tree.cA.users.customer_user, t);
        return Object.fromEntries(names.map((n) => [n, (r.out.match(new RegExp(`${n} \\([^)]*\\) = (.*)`)) || [null, ''])[1]]));
    }

    test('PRN-1 printer-more-info is a page (200) that explains how to release a job', async () => {
        const v = await displayed(['printer-more-info', 'printer-supply-info-uri']);
        const url = new URL(v['printer-more-info']);
        const r = await srv.request('GET', url.pathname);
        assert.equal(r.status, 200);
        assert.match(r.headers['content-type'], /text\/html/);
        assert.match(r.text, /release/i);
        assert.match(r.text, /panel/i);
        assert.equal(v['printer-supply-info-uri'], v['printer-more-info']);
    });

    test('PRN-1 printer-icons are served: PNG of 48, 128 and 512 pixels', async () => {
        const v = await displayed(['printer-icons']);
        const urls = v['printer-icons'].split(',');
        assert.equal(urls.length, 3);
        for (const [i, size] of [48, 128, 512].entries()) {
            const r = await srv.request('GET', new URL(urls[i]).pathname);
            assert.equal(r.status, 200, urls[i]);
            assert.equal(r.headers['content-type'], 'image/png');
            assert.ok(r.raw.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'a PNG');
            assert.equal(r.raw.readUInt32BE(16), size, 'width');
            assert.equal(r.raw.readUInt32BE(20), size, 'height');
        }
        assert.equal((await srv.request('GET', '/ipp/icons/printer-64.png')).status, 404);
    });

    test('PRN-1 identify, overrides, page ranges and supplies are described', async () => {
        const v = await displayed(['identify-actions-supported', 'overrides-supported', 'page-ranges-supported',
            'printer-supply', 'printer-supply-description']);
        assert.equal(v['identify-actions-supported'], 'display');
        assert.equal(v['overrides-supported'], 'document-number,pages');
        assert.equal(v['page-ranges-supported'], 'true');
        assert.match(v['printer-supply'], /type=other/);
        assert.match(v['printer-supply-description'], /no supplies/);
    });
});
