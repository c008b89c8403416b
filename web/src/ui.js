// SPDX-License-Identifier: Apache-2.0
// quire portal: the view helpers shared by the pages (Preact + htm, no build step).
import { h } from 'preact';
import htm from 'htm';
import { t } from './i18n.js';

export const html = htm.bind(h);

/** A labelled control with the API's message for it right below (aria-describedby). */
export function Field({ id, label, error, hint, children }) {
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${hint && html`<p class="hint" id=${`${id}-hint`}>${hint}</p>`}
    ${children({ id, 'aria-describedby': describedBy || undefined, 'aria-invalid': error ? 'true' : undefined })}
    ${error && html`<p class="field-error" id=${`${id}-error`}>${error}</p>`}
  </div>`;
}

/** A message: role status for news, alert for errors. */
export function Notice({ kind = 'ok', children }) {
  if (!children) return null;
  return html`<p class=${`notice notice-${kind}`} role=${kind === 'error' ? 'alert' : 'status'}>${children}</p>`;
}

export function Empty({ children }) {
  return html`<div class="empty"><p>${children}</p></div>`;
}

/** The text of an API error in the user's language (the API's own message otherwise). */
export function errorText(e) {
  if (!e) return '';
  if (e.code === 'network') return t('error.network');
  if (e.status === 403 || e.status === 404) return t('error.forbidden', { msg: e.message });
  return e.message;
}

/** Splits an API error into {field, text}: the field of a form it names, if any. */
export function fieldError(e, fields) {
  if (!e) return {};
  const msg = String(e.message || '');
  for (const [name, words] of Object.entries(fields))
    if (words.some((w) => (typeof w === 'string' ? msg.includes(w) : w.test(`${e.code} ${msg}`))))
      return { field: name, text: errorText(e) };
  return { text: errorText(e) };
}
