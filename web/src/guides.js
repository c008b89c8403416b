// SPDX-License-Identifier: Apache-2.0
// quire portal: the guides (issue 14): the user guide for everyone, the admin guide for the
// admin and provider roles, each read here and downloadable as PDF. Their text is written in
// docs/guides/*.md and rendered at build time (scripts/web-build.mjs); this page fetches a
// guide's HTML when it is shown, so the first load of the portal stays small.
import { useEffect, useState } from 'preact/hooks';
import { guideFiles } from './guides.gen.js';
import { addMessages, getLang, t } from './i18n.js';
import { Title } from './pages.js';
import { html, Notice } from './ui.js';

addMessages({
  en: {
    'nav.guides': 'Guides',
    'guides.title': 'Guides',
    'guides.intro': 'How to work with quire, step by step, with pictures of the pages. The user guide is in English and German, the admin guide in English.',
    'guides.which': 'Guide',
    'guides.user': 'User guide',
    'guides.user.about': 'Signing in, printing, releasing at a printer, scans, PIN and cards, your log and quota.',
    'guides.admin': 'Admin guide',
    'guides.admin.about': 'Users, groups, devices, print rules and quotas, capture, reports, and the provider’s organizations.',
    'guides.pdf': 'Download the {name} as PDF',
    'guides.failed': 'The guide could not be loaded: {msg}',
  },
  de: {
    'nav.guides': 'Anleitungen',
    'guides.title': 'Anleitungen',
    'guides.intro': 'So arbeiten Sie mit quire, Schritt für Schritt, mit Bildern der Seiten. Das Benutzerhandbuch gibt es auf Deutsch und Englisch, das Administratorhandbuch auf Englisch.',
    'guides.which': 'Anleitung',
    'guides.user': 'Benutzerhandbuch',
    'guides.user.about': 'Anmelden, drucken, am Drucker freigeben, Scans, PIN und Karten, Ihr Protokoll und Kontingent.',
    'guides.admin': 'Administratorhandbuch',
    'guides.admin.about': 'Benutzer, Gruppen, Geräte, Druckregeln und Kontingente, Erfassung, Berichte und die Organisationen des Anbieters.',
    'guides.pdf': '{name} als PDF herunterladen',
    'guides.failed': 'Die Anleitung konnte nicht geladen werden: {msg}',
  },
});

/** The roles that administer something: they get the admin guide as well. */
export const ADMIN_ROLES = ['customer_admin', 'print_manager', 'provider_admin', 'provider_support'];

export function guidesFor(role) {
  return ADMIN_ROLES.includes(role) ? ['user', 'admin'] : ['user'];
}

/** A guide's edition in the portal's language, else the English one: {lang, html, pdf, download}. */
function edition(key) {
  const lang = guideFiles[key][getLang()] ? getLang() : 'en';
  return { lang, ...guideFiles[key][lang] };
}

// A guide's HTML, fetched once per page load (it is an immutable, content-hashed asset).
const cache = new Map();
async function loadGuide(url) {
  if (!cache.has(url)) {
    const res = await fetch(url, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    cache.set(url, await res.text());
  }
  return cache.get(url);
}

function Guide({ which }) {
  const ed = edition(which);
  const [state, setState] = useState({ html: null, error: null });
  useEffect(() => {
    let live = true;
    setState({ html: null, error: null });
    loadGuide(ed.html).then(
      (h) => live && setState({ html: h, error: null }),
      (e) => live && setState({ html: null, error: e }),
    );
    return () => {
      live = false;
    };
  }, [ed.html]);
  if (state.error) return html`<${Notice} kind="error">${t('guides.failed', { msg: state.error.message })}<//>`;
  if (state.html === null) return html`<p class="loading" role="status">${t('app.loading')}</p>`;
  // The guide's HTML is built from the repository's own Markdown (no raw HTML passes).
  return html`<article class="guide" lang=${ed.lang} aria-label=${t(`guides.${which}`)} dangerouslySetInnerHTML=${{ __html: state.html }}></article>`;
}

function Guides({ me, headingRef }) {
  const mine = guidesFor(me.role);
  const [which, setWhich] = useState(mine[0]);
  return html`<${Title} headingRef=${headingRef}>${t('guides.title')}<//>
    <p class="muted">${t('guides.intro')}</p>
    <div class="guide-list" role="group" aria-label=${t('guides.which')}>
      ${mine.map((k) => html`<div class=${`card guide-card${k === which ? ' guide-card-current' : ''}`}>
        <h2 class="guide-card-title">
          <button class="btn-link" aria-pressed=${k === which ? 'true' : 'false'} onClick=${() => setWhich(k)}>${t(`guides.${k}`)}</button>
        </h2>
        <p>${t(`guides.${k}.about`)}</p>
        ${edition(k).pdf && html`<a class="btn" href=${edition(k).pdf} download=${edition(k).download} hreflang=${edition(k).lang}>${t('guides.pdf', { name: t(`guides.${k}`) })}</a>`}
      </div>`)}
    </div>
    <${Guide} which=${which} />`;
}

export const pages = [{ path: 'guides', nav: 'nav.guides', view: Guides }];
