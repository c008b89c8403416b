// SPDX-License-Identifier: Apache-2.0
// quire portal: the application shell: sign-in state, idle logout (AUTH-7), navigation by
// the URL's hash, language switch.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, whenSignedOut } from './api.js';
import { completeSignIn, expiresIn, renew, signIn, signOut } from './auth.js';
import { getLang, languages, setLang, t } from './i18n.js';
import { pages } from './registry.js';
import { html, Notice } from './ui.js';

const IDLE_MS = 15 * 60 * 1000; // AUTH-7: a browser session ends after 15 minutes idle
const WARN_MS = 60 * 1000; // the warning shows for the last minute
const RENEW_BEFORE_MS = 2 * 60 * 1000;

function route() {
  const name = location.hash.replace(/^#\/?/, '').split('/')[0];
  return pages.find((p) => p.path === name) ? name : '';
}

function LangSwitch({ onChange }) {
  return html`<div class="lang">
    <label for="lang">${t('lang.label')}</label>
    <select id="lang" value=${getLang()} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${Object.entries(languages).map(([k, v]) => html`<option value=${k} lang=${k}>${v}</option>`)}
    </select>
  </div>`;
}

function Logo() {
  return html`<span class="brand"><span class="logo" aria-hidden="true"></span><span class="brand-name">quire</span></span>`;
}

function SignedOut({ reason, onLang }) {
  return html`<div class="signed-out">
    <header class="topbar"><${Logo} /><${LangSwitch} onChange=${onLang} /></header>
    <main id="main" class="landing">
      <h1>${t('app.tagline')}</h1>
      <${Notice} kind=${reason === 'idle' ? 'warn' : 'ok'}>${reason ? t(reason === 'idle' ? 'auth.idleout' : 'auth.signedout') : ''}<//>
      ${reason && reason.startsWith('failed:') && html`<${Notice} kind="error">${t('auth.failed', { msg: reason.slice(7) })}<//>`}
      <button class="btn btn-primary btn-large" onClick=${() => signIn()}>${t('auth.signin')}</button>
    </main>
  </div>`;
}

function IdleWarning({ left, onStay }) {
  const ref = useRef(null);
  useEffect(() => ref.current && ref.current.focus(), []);
  return html`<div class="backdrop">
    <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="idle-title" aria-describedby="idle-text">
      <h2 id="idle-title">${t('idle.title')}</h2>
      <p id="idle-text">${t('idle.text', { s: Math.max(0, Math.ceil(left / 1000)) })}</p>
      <button ref=${ref} class="btn btn-primary" onClick=${onStay}>${t('idle.stay')}</button>
    </div>
  </div>`;
}

function Shell({ me, org, onSignOut, onLang }) {
  const [page, setPage] = useState(route());
  const headingRef = useRef(null);
  useEffect(() => {
    const f = () => setPage(route());
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  useEffect(() => {
    const p = pages.find((x) => x.path === page);
    document.title = `${t(p.nav)} · quire`;
    if (headingRef.current) headingRef.current.focus();
  }, [page, getLang()]);
  const visible = pages.filter((p) => (!p.roles || p.roles.includes(me.role)) && (!p.when || p.when({ me, org })));
  const P = pages.find((x) => x.path === page).view;
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); headingRef.current && headingRef.current.focus(); }}>${t('app.skip')}</a>
    <header class="topbar">
      <${Logo} />
      <span class="org" title=${org ? org.name : ''}>${org ? org.name : ''}</span>
      <${LangSwitch} onChange=${onLang} />
      <button class="btn btn-quiet" onClick=${onSignOut}>${t('auth.signout')}</button>
    </header>
    <nav class="sidenav" aria-label=${t('nav.label')}>
      <ul>
        ${visible.map((p) => html`<li><a href=${`#/${p.path}`} aria-current=${p.path === page ? 'page' : undefined}>${t(p.nav)}</a></li>`)}
      </ul>
    </nav>
    <main id="main" class="content">
      <${P} me=${me} org=${org} headingRef=${headingRef} />
    </main>
  </div>`;
}

function App() {
  const [state, setState] = useState({ phase: 'loading' });
  const [, setLangTick] = useState(0);
  const [idleLeft, setIdleLeft] = useState(null);
  const lastActive = useRef(Date.now());
  const activeSinceRenew = useRef(false);

  const changeLang = (l) => {
    setLang(l);
    setLangTick((n) => n + 1);
  };

  async function load() {
    const me = await api('GET', '/api/v1/me');
    let org = null;
    try {
      org = await api('GET', `/api/v1/orgs/${me.org_id}`);
    } catch {
      org = null;
    }
    lastActive.current = Date.now();
    setState({ phase: 'in', me, org });
  }

  async function end(reason) {
    await signOut();
    setIdleLeft(null);
    setState({ phase: 'out', reason });
  }

  useEffect(() => {
    whenSignedOut(() => setState({ phase: 'out', reason: 'out' }));
    (async () => {
      try {
        if (location.pathname === '/callback') {
          // A callback this tab did not ask for (a bookmark, another site's link) is
          // refused; the browser session may still sign the person in.
          try {
            await completeSignIn();
          } catch (e) {
            if (!(await renew())) throw e;
          }
        } else if (!(await renew())) {
          setState({ phase: 'out', reason: '' });
          return;
        }
        await load();
      } catch (e) {
        setState({ phase: 'out', reason: `failed:${e.message}` });
      }
    })();
  }, []);

  // Activity, the idle warning and logout, and the token's renewal while the person works.
  useEffect(() => {
    if (state.phase !== 'in') return undefined;
    const mark = () => {
      lastActive.current = Date.now();
      activeSinceRenew.current = true;
    };
    const events = ['pointerdown', 'keydown', 'wheel', 'touchstart'];
    events.forEach((e) => addEventListener(e, mark, { passive: true }));
    const timer = setInterval(async () => {
      const idle = Date.now() - lastActive.current;
      if (idle >= IDLE_MS) {
        clearInterval(timer);
        end('idle');
        return;
      }
      setIdleLeft(idle >= IDLE_MS - WARN_MS ? IDLE_MS - idle : null);
      if (expiresIn() < RENEW_BEFORE_MS && activeSinceRenew.current) {
        activeSinceRenew.current = false;
        if (!(await renew())) setState({ phase: 'out', reason: 'out' });
      }
    }, 1000);
    return () => {
      clearInterval(timer);
      events.forEach((e) => removeEventListener(e, mark));
    };
  }, [state.phase]);

  if (state.phase === 'loading') return html`<p class="loading" role="status">${t('app.loading')}</p>`;
  if (state.phase === 'out') return html`<${SignedOut} reason=${state.reason} onLang=${changeLang} />`;
  return html`<${Shell} me=${state.me} org=${state.org} onSignOut=${() => end('out')} onLang=${changeLang} />
    ${idleLeft !== null && html`<${IdleWarning} left=${idleLeft} onStay=${() => { lastActive.current = Date.now(); activeSinceRenew.current = true; setIdleLeft(null); }} />`}`;
}

render(html`<${App} />`, document.getElementById('app'));
