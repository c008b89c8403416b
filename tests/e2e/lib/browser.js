// SPDX-License-Identifier: Apache-2.0
// A real browser for the web pages: Debian's Chromium driven by playwright-core, with
// JavaScript switched off (the sign-in pages must work without it). Chromium trusts exactly
// quired's own certificate key (pinned by its SPKI hash), nothing else; and a plain-HTTP
// "other site" on loopback plays the application that a sign-in returns to, or an attacker.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

const CHROMIUM = process.env.QUIRE_CHROMIUM || '/usr/bin/chromium';

/** The base64 SHA-256 of a PEM certificate's SubjectPublicKeyInfo (Chromium's pin format). */
function spkiHash(pemFile) {
    const cert = new crypto.X509Certificate(fs.readFileSync(pemFile));
    const der = cert.publicKey.export({ type: 'spki', format: 'der' });
    return crypto.createHash('sha256').update(der).digest('base64');
}

/** Starts Chromium trusting srv's certificate. Returns {newPage(), close()}. */
export async function startBrowser(srv) {
    const pin = spkiHash(path.join(srv.dataDir, 'tls', 'cert.pem'));
    const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [`--ignore-certificate-errors-spki-list=${pin}`],
    });
    const contexts = [];
    return {
        /** A page in a fresh profile (own cookies), JavaScript off unless asked for. */
        async newPage({ javaScript = false } = {}) {
            const context = await browser.newContext({ javaScriptEnabled: javaScript });
            contexts.push(context);
            return context.newPage();
        },
        async close() {
            for (const c of contexts)
                await c.close().catch(() => {});
            await browser.close();
        },
    };
}

/**
 * Starts a plain-HTTP site on 127.0.0.1 that serves the pages given as {path: html} and
 * records every request it gets (the application's redirect URI lands here). Returns
 * {origin, requests, close()}.
 */
export async function startSite(pages = {}) {
    const requests = [];
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, 'http://127.0.0.1');
        requests.push(url);
        const html = pages[url.pathname];
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(html !== undefined ? html : '<!DOCTYPE html><title>app</title><h1>Back at the application</h1>');
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${server.address().port}`;
    return {
        origin,
        requests,
        /** The last request to a path, as a URL (or undefined). */
        last(pathname) {
            return requests.filter((u) => u.pathname === pathname).at(-1);
        },
        close: () => new Promise((resolve) => {
            server.closeAllConnections();
            server.close(resolve);
        }),
    };
}

/** Signs who ({slug, username, password}) in through the portal at base: its Sign in button,
 * quire's sign-in page, and back on the portal's home page. */
export async function portalSignIn(page, base, who) {
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Organization').fill(who.slug);
    await page.getByLabel('Username').fill(who.username);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /Welcome/ }).waitFor();
}

let axeSource = null;

/** axe-core (npm) on the page as it is: asserts no serious or critical violation. */
export async function assertAxe(page, what) {
    axeSource ??= fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    await page.evaluate(axeSource);
    const res = await page.evaluate(async () => await globalThis.axe.run(document, { resultTypes: ['violations'] }));
    const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`), [], `axe on ${what}`);
}

/**
 * What the portal's browser tests share, for quired at base: signIn(who[, page]) signs who in
 * (portalSignIn), in page or a fresh profile's, and returns the page; go(page, hash, heading)
 * opens a portal page (the same address again: a reload) and waits for its heading;
 * axe(page, what) is assertAxe; shot(page, name) asserts that nothing widens the page at
 * 375 px and writes screenshots at 1920 and 375 px wide to shotsDir (for a look, never a
 * test's truth).
 */
export function portalKit(browser, base, shotsDir) {
    fs.mkdirSync(shotsDir, { recursive: true });
    return {
        async signIn(who, page = null) {
            const p = page || (await browser.newPage({ javaScript: true }));
            await portalSignIn(p, base, who);
            return p;
        },
        async go(page, hash, heading) {
            if (page.url() === `${base}/#/${hash}`)
                await page.reload(); // the same address again: loaded afresh
            else
                await page.goto(`${base}/#/${hash}`);
            await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        },
        axe: assertAxe,
        async shot(page, name) {
            for (const [w, h, suffix] of [[1920, 1080, ''], [375, 812, '-375']]) {
                await page.setViewportSize({ width: w, height: h });
                if (w === 375) // nothing may widen the page (tables scroll in their own box)
                    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 375, `${name} fits 375 px`);
                await page.screenshot({ path: path.join(shotsDir, `${name}${suffix}.png`), fullPage: true });
            }
            await page.setViewportSize({ width: 1280, height: 800 });
        },
    };
}
