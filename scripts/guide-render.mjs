// SPDX-License-Identifier: Apache-2.0
// quire: the guides (docs/guides/*.md) as HTML, with marked (npm). One renderer for the
// portal (scripts/web-build.mjs: headings one level down, under the page's own h1; images
// as content-hashed assets) and for the PDFs (scripts/guides.mjs: images as files).
import { Marked } from 'marked';

/** The guides: key, Markdown source, the committed PDF and the name it downloads as, in
 * English, and in the other languages it has been translated to (translations). */
export const GUIDES = [
  {
    key: 'user', lang: 'en', md: 'docs/guides/user.md', pdf: 'docs/guides/quire-user-guide.pdf', download: 'quire-user-guide.pdf',
    translations: [
      { lang: 'de', md: 'docs/guides/user.de.md', pdf: 'docs/guides/quire-benutzerhandbuch.pdf', download: 'quire-benutzerhandbuch.pdf' },
    ],
  },
  { key: 'admin', lang: 'en', md: 'docs/guides/admin.md', pdf: 'docs/guides/quire-admin-guide.pdf', download: 'quire-admin-guide.pdf', translations: [] },
];

/** Every edition of every guide: {key, lang, md, pdf, download}. */
export function editions() {
  return GUIDES.flatMap((g) => [g, ...g.translations.map((t) => ({ ...t, key: g.key }))]);
}

const escape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** A heading's anchor: its words in lower case joined by hyphens. */
export function slug(text) {
  return String(text)
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-|-$/g, '');
}

/** The headings of a guide's Markdown ({depth, text}), for tables of contents and tests. */
export function headings(md) {
  return new Marked().lexer(md).filter((t) => t.type === 'heading').map((t) => ({ depth: t.depth, text: t.text }));
}

/**
 * Markdown to HTML. opts.shift: levels added to every heading (1 in the portal);
 * opts.image(src): the address of an image given by its path relative to docs/guides/ (null:
 * leave the image out);
 * opts.idPrefix: before each heading's id (two guides on one page stay distinct).
 */
export function renderGuide(md, { shift = 0, image = (src) => src, idPrefix = '' } = {}) {
  const m = new Marked({
    renderer: {
      heading({ tokens, depth }) {
        const inner = this.parser.parseInline(tokens);
        const level = Math.min(6, depth + shift);
        return `<h${level} id="${escape(idPrefix + slug(inner))}">${inner}</h${level}>\n`;
      },
      image({ href, text }) {
        const src = image(href);
        return src === null ? '' : `<img src="${escape(src)}" alt="${escape(text)}" loading="lazy">`;
      },
      html() {
        return ''; // the guides are Markdown only: no raw HTML (CSP: no inline style or script)
      },
    },
  });
  return m.parse(md);
}
