// SPDX-License-Identifier: Apache-2.0
// A relying party built on openid-client (a certified OpenID Connect client nobody here
// wrote), run as a child process so that NODE_EXTRA_CA_CERTS makes its fetch trust quired's
// self-signed certificate. It plays the browser for the login page with plain fetch, and
// prints one JSON object with what it observed.

import * as client from 'openid-client';

const env = process.env;
const issuer = new URL(env.RP_ISSUER);
const out = {};

function cookies(res) {
    const jar = {};
    for (const c of res.headers.getSetCookie())
        jar[c.split(';')[0].split('=')[0]] = c.split(';')[0].slice(c.indexOf('=') + 1);
    return jar;
}

function field(html, name) {
    const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
    return m[1].replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

async function expectError(fn) {
    try {
        await fn();
        return null;
    } catch (e) {
        return e.error || e.code || e.message;
    }
}

const config = await client.discovery(issuer, env.RP_CLIENT_ID, undefined, client.None());
out.issuer = config.serverMetadata().issuer;

/** A sign-in through the login page (the browser's part with plain fetch), then the code
 * grant: the tokens. */
async function signIn() {
    const verifier = client.randomPKCECodeVerifier();
    const challenge = await client.calculatePKCECodeChallenge(verifier);
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
        redirect_uri: env.RP_REDIRECT, scope: 'openid profile email', code_challenge: challenge,
        code_challenge_method: 'S256', state, nonce,
    });
    const page = await fetch(url, { redirect: 'manual' });
    const html = await page.text();
    const csrf = cookies(page)['__Host-quire_csrf'];
    const login = await fetch(new URL('/login', issuer), {
        method: 'POST', redirect: 'manual',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `__Host-quire_csrf=${csrf}` },
        body: new URLSearchParams({ csrf: field(html, 'csrf'), org: field(html, 'org'),
            return_to: field(html, 'return_to'), username: env.RP_USERNAME, password: env.RP_PASSWORD }),
    });
    const session = cookies(login)['__Host-quire_session'];
    const back = await fetch(new URL(login.headers.get('location'), issuer), {
        redirect: 'manual', headers: { Cookie: `__Host-quire_session=${session}` } });
    const callback = new URL(back.headers.get('location'));
    return client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
}

const tokens = await signIn();
const claims = tokens.claims();
out.sub = claims.sub;
out.aud = claims.aud;
const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
out.userinfo_username = info.preferred_username;

const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
out.rotated = refreshed.refresh_token !== tokens.refresh_token;
out.reuse_error = await expectError(() => client.refreshTokenGrant(config, tokens.refresh_token));
// Reuse revoked the family, so a fresh login is needed to test revocation.
out.after_reuse_error = await expectError(() => client.refreshTokenGrant(config, refreshed.refresh_token));

// Confidential client: client credentials, introspection, revocation.
const conf = await client.discovery(issuer, env.RP_CONF_ID, env.RP_CONF_SECRET);
const cc = await client.clientCredentialsGrant(conf);
out.cc_token_type = cc.token_type;
const intro = await client.tokenIntrospection(conf, cc.access_token);
out.cc_active = intro.active;
const introUser = await client.tokenIntrospection(conf, tokens.access_token);
out.user_token_active_after_reuse = introUser.active;
await client.tokenRevocation(conf, 'not-a-real-token');
out.revocation_ok = true;

// Revoking live tokens: the public client revokes its own refresh token (RFC 7009, no
// secret); the session behind it ends, its access token with it.
const live = await signIn();
out.live_active_before = (await client.tokenIntrospection(conf, live.access_token)).active;
await client.tokenRevocation(config, live.refresh_token);
out.live_active_after = (await client.tokenIntrospection(conf, live.access_token)).active;
out.live_refresh_active_after = (await client.tokenIntrospection(conf, live.refresh_token)).active;
out.live_userinfo_error = await expectError(() => client.fetchUserInfo(config, live.access_token, tokens.claims().sub));
out.live_refresh_error = await expectError(() => client.refreshTokenGrant(config, live.refresh_token));
// ... and an access token of another sign-in, which ends that session.
const other = await signIn();
await client.tokenRevocation(config, other.access_token);
out.other_refresh_error = await expectError(() => client.refreshTokenGrant(config, other.refresh_token));
process.stdout.write(JSON.stringify(out));
