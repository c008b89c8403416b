// SPDX-License-Identifier: Apache-2.0
// Issue 14, the guides: the portal's Guides page in a real browser (Debian's Chromium through
// playwright-core) against a real quired. Every role sees the user guide; the admin and
// provider roles also the admin guide, and the others do not. The page passes axe-core (no
// serious or critical violation), its screenshots load, its links download PDFs that are PDFs
// (%PDF, more than 3 pages by pdfinfo) under their own names, whose text (pdftotext) holds every
// heading of the Markdown in docs/guides/; a guide's files carry the portal's CSP. In German,
// the page and the user guide's German edition (and its PDF).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, assertStatus, createOrg, createUser, REPO_ROOT } from './lib/server.js';
import { assertAxe, portalSignIn, startBrowser } from './lib/browser.js';

const CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'none'";

let srv;
let browser;
let base;
const people = {};

before(async () => {
    srv = await startServer({ env: { QUIRE_LOGIN_THROTTLE_PER_MIN: '100000' } });
    browser = await startBrowser(srv);
    base = `https://localhost:${srv.port}`;
    const root = await srv.rootToken();
    const dealer = await createOrg(srv, root, { parentId: srv.root.orgId, type: 'provider', name: 'Guide Dealer' });
    people.provider_admin = dealer.admin;
    const cust = await createOrg(srv, dealer.token, { parentId: dealer.org.id, type: 'customer', name: 'Guide Customer' });
    people.customer_admin = cust.admin;
    for (const role of ['print_manager', 'customer_user', 'guest_user'])
        people[role] = await createUser(srv, cust.token, cust.org, { role });
});

after(async () => {
    if (browser)
        await browser.close();
    if (srv)
        await srv.stop();
});

async function signIn(who) {
    const page = await browser.newPage({ javaScript: true });
    await portalSignIn(page, base, who);
    return page;
}

/** The headings of a guide's Markdown (outside code blocks), as plain text. */
function headingsOf(file) {
    const md = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'guides', file), 'utf8');
    let fenced = false;
    const out = [];
    for (const line of md.split('\n')) {
        if (line.startsWith('```'))
            fenced = !fenced;
        const m = !fenced && /^(#{1,6})\s+(.*?)\s*#*$/.exec(line);
        if (m)
            out.push(m[2].replace(/[*_`]/g, ''));
    }
    return out;
}

const squeeze = (s) => s.replace(/\s+/g, ' ').trim();

async function openGuides(page) {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Guides' }).click();
    await page.getByRole('heading', { level: 1, name: 'Guides' }).waitFor();
    await page.locator('article.guide h2').first().waitFor();
}

describe('portal: guides', () => {
    const cases = [
        ['customer_user', ['User guide']],
        ['guest_user', ['User guide']],
        ['print_manager', ['User guide', 'Admin guide']],
        ['customer_admin', ['User guide', 'Admin guide']],
        ['provider_admin', ['User guide', 'Admin guide']],
    ];
    for (const [role, expected] of cases) {
        test(`a ${role} sees ${expected.join(' and ')}`, async () => {
            const page = await signIn(people[role]);
            await openGuides(page);
            const choices = await page.getByRole('group', { name: 'Guide' }).getByRole('button').allTextContents();
            assert.deepEqual(choices.map((s) => s.trim()), expected);
            const links = page.getByRole('link', { name: /^Download the .* as PDF$/ });
            assert.equal(await links.count(), expected.length, 'one PDF link per guide shown');
            // The user guide is shown first: its title and every one of its sections.
            const shown = (await page.locator('article.guide').locator('h2, h3, h4, h5').allTextContents()).map(squeeze);
            assert.deepEqual(shown, headingsOf('user.md'), 'the user guide, every heading');
            if (!expected.includes('Admin guide')) {
                assert.equal(await page.getByRole('button', { name: 'Admin guide' }).count(), 0, 'no admin guide for this role');
                assert.equal(await page.getByRole('link', { name: /Admin guide/ }).count(), 0, 'nor its PDF');
            } else {
                await page.getByRole('button', { name: 'Admin guide' }).click();
                await page.getByRole('heading', { level: 2, name: 'quire admin guide' }).waitFor();
                assert.equal(await page.getByRole('button', { name: 'Admin guide' }).getAttribute('aria-pressed'), 'true');
            }
            await assertAxe(page, `the guides page of a ${role}`);
        });
    }

    test('the screenshots load, the page chrome speaks German, the files carry the CSP', async () => {
        const page = await signIn(people.customer_admin);
        const seen = [];
        page.on('response', (r) => r.url().startsWith(`${base}/assets/`) && seen.push(r));
        await openGuides(page);
        const imgs = page.locator('article.guide img');
        assert.ok(await imgs.count() >= 5, 'the user guide has screenshots');
        await imgs.last().scrollIntoViewIfNeeded();
        for (const img of await imgs.all()) {
            await img.scrollIntoViewIfNeeded();
            await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
            assert.equal(await img.evaluate((el) => el.naturalWidth), 1280, 'a screenshot 1280 px wide');
            assert.ok((await img.getAttribute('alt')).length > 5, 'every screenshot has alt text');
        }
        const types = new Set();
        for (const r of seen) {
            const p = new URL(r.url()).pathname;
            const h = (await srv.request('GET', p)).headers;
            assert.equal(h['content-security-policy'], CSP, p);
            types.add(h['content-type']);
        }
        assert.ok(types.has('image/png') && types.has('text/html; charset=utf-8'), [...types].join(', '));
        // German: the page, and the user guide in its German edition (the admin guide is English).
        await page.getByLabel('Language').selectOption('de');
        await page.getByRole('heading', { level: 1, name: 'Anleitungen' }).waitFor();
        await page.getByRole('heading', { level: 2, name: 'quire Benutzerhandbuch' }).waitFor();
        assert.equal(await page.locator('article.guide').getAttribute('lang'), 'de');
        const shown = (await page.locator('article.guide').locator('h2, h3, h4, h5').allTextContents()).map(squeeze);
        assert.deepEqual(shown, headingsOf('user.de.md'), 'the German user guide, every heading');
        await page.getByRole('link', { name: 'Benutzerhandbuch als PDF herunterladen' }).waitFor();
        await assertAxe(page, 'the guides page in German');
        await page.getByRole('button', { name: 'Administratorhandbuch' }).click();
        await page.getByRole('heading', { level: 2, name: 'quire admin guide' }).waitFor();
        assert.equal(await page.locator('article.guide').getAttribute('lang'), 'en');
    });

    for (const [lang, name, md, file] of [['en', 'Download the User guide as PDF', 'user.md', 'quire-user-guide.pdf'],
        ['en', 'Download the Admin guide as PDF', 'admin.md', 'quire-admin-guide.pdf'],
        ['de', 'Benutzerhandbuch als PDF herunterladen', 'user.de.md', 'quire-benutzerhandbuch.pdf']]) {
        test(`${file} downloads as a PDF with every heading of ${md}`, async () => {
            const page = await signIn(people.provider_admin);
            await openGuides(page);
            if (lang === 'de') {
                await page.getByLabel('Language').selectOption('de');
                await page.getByRole('heading', { level: 1, name: 'Anleitungen' }).waitFor();
            }
            const link = page.getByRole('link', { name });
            const [dl] = await Promise.all([page.waitForEvent('download'), link.click()]);
            assert.equal(dl.suggestedFilename(), file);
            const pdf = await dl.path();
            const bytes = fs.readFileSync(pdf);
            assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
            const res = await srv.request('GET', await link.getAttribute('href'));
            assertStatus(res, 200, 'the PDF');
            assert.equal(res.headers['content-type'], 'application/pdf');
            assert.equal(res.headers['content-disposition'], `attachment; filename="${file}"`);
            assert.equal(res.headers['content-security-policy'], CSP);
            const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
            const pages = Number(/^Pages:\s+(\d+)/m.exec(info)[1]);
            assert.ok(pages > 3, `${file} has ${pages} pages`);
            const text = squeeze(execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }));
            for (const h of headingsOf(md))
                assert.ok(text.includes(squeeze(h)), `${file} contains the heading "${h}"`);
        });
    }
});
