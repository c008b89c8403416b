// SPDX-License-Identifier: Apache-2.0
// quire portal: sign-in through quire's OAuth 2.0 authorization code flow with PKCE, as the
// built-in public client. The access token lives only in this module's memory; it is renewed
// with prompt=none against the browser session (an HttpOnly, same-origin cookie): the
// authorization request is fetched, its redirect to /callback followed, and the code read
// from the final URL (same origin, so the browser lets us). Nothing secret is stored: only
// the PKCE verifier and state of a full-page sign-in wait in sessionStorage, for one
// round trip to the sign-in page, and are removed on return.

export const CLIENT_ID = '00000000000000000000000000000001';
const REDIRECT = `${location.origin}/callback`;
const PENDING = 'quire.signin';

let access = null; // { token, expires (ms) }

function b64url(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function pkce() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  return { verifier, challenge, state };
}

function authorizeUrl(p, prompt) {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: 'openid',
    state: p.state,
    code_challenge: p.challenge,
    code_challenge_method: 'S256',
  });
  if (prompt) q.set('prompt', prompt);
  return `/oauth/authorize?${q}`;
}

async function redeem(code, verifier) {
  const res = await fetch('/oauth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      client_id: CLIENT_ID,
      code_verifier: verifier,
    }),
  });
  const j = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(j.error_description || j.message || `HTTP ${res.status}`);
  access = { token: j.access_token, expires: Date.now() + j.expires_in * 1000 };
}

/** Goes to quire's sign-in page (a full-page navigation); comes back at /callback. */
export async function signIn() {
  const p = await pkce();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier: p.verifier, state: p.state }));
  location.assign(authorizeUrl(p));
}

/** On /callback: redeems the code of a full-page sign-in. Throws with the reason. */
export async function completeSignIn() {
  const q = new URLSearchParams(location.search);
  const saved = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', `/${location.hash}`);
  if (q.get('error')) throw new Error(q.get('error_description') || q.get('error'));
  if (!saved || q.get('state') !== saved.state) throw new Error('state mismatch');
  await redeem(q.get('code'), saved.verifier);
}

/** Renews the access token from the browser session; false if that session is over. */
export async function renew() {
  const p = await pkce();
  let res;
  try {
    res = await fetch(authorizeUrl(p, 'none'), { credentials: 'same-origin' });
  } catch {
    return false;
  }
  const u = new URL(res.url);
  if (u.origin !== location.origin || u.pathname !== '/callback' || u.searchParams.get('state') !== p.state)
    return false;
  const code = u.searchParams.get('code');
  if (!code) return false;
  try {
    await redeem(code, p.verifier);
  } catch {
    return false;
  }
  return true;
}

export function token() {
  return access ? access.token : null;
}

/** Milliseconds until the access token expires (negative once it has). */
export function expiresIn() {
  return access ? access.expires - Date.now() : -1;
}

/** Ends the session: the token's session and the browser session (cookie) with it. */
export async function signOut() {
  const tok = token();
  access = null;
  if (!tok) return;
  await fetch('/api/v1/auth/signout', { method: 'POST', headers: { Authorization: `Bearer ${tok}` } }).catch(
    () => {},
  );
}
