// SPDX-License-Identifier: Apache-2.0
// quire portal, the customer admin's pages: pieces they share (the "shown once" secret
// dialog, a delete button that asks again, the org-scoped request helpers).
import { useEffect, useRef, useState } from 'preact/hooks';
import { addMessages, t } from '../i18n.js';
import { html } from '../ui.js';

addMessages({
  en: {
    'secret.once': 'Shown only this once: copy it now and keep it somewhere safe. It cannot be shown again.',
    'secret.copy': 'Copy {what}',
    'secret.copied': 'Copied.',
    'secret.copyFailed': 'Copying failed: select the text and copy it yourself.',
    'secret.done': 'I have copied it',
    'confirm.yes': 'Yes, {action}',
    'confirm.no': 'Keep it',
    'confirm.ask': 'Really?',
    'admin.unavailable': 'Not available on this server yet ({msg}).',
  },
  de: {
    'secret.once': 'Wird nur dieses eine Mal gezeigt: Kopieren Sie es jetzt und bewahren Sie es sicher auf. Es kann nicht erneut angezeigt werden.',
    'secret.copy': '{what} kopieren',
    'secret.copied': 'Kopiert.',
    'secret.copyFailed': 'Kopieren fehlgeschlagen: Markieren Sie den Text und kopieren Sie ihn selbst.',
    'secret.done': 'Ich habe es kopiert',
    'confirm.yes': 'Ja, {action}',
    'confirm.no': 'Behalten',
    'confirm.ask': 'Wirklich?',
    'admin.unavailable': 'Auf diesem Server noch nicht verfügbar ({msg}).',
  },
});

async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

function SecretRow({ id, label, value }) {
  const ref = useRef(null);
  const [state, setState] = useState('');
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <div class="secret-row">
      <input id=${id} ref=${ref} class="secret" type="text" readonly value=${value} onFocus=${(e) => e.currentTarget.select()} />
      <button type="button" class="btn" onClick=${async () => setState((await copyText(ref.current)) ? 'ok' : 'fail')}>${t('secret.copy', { what: label })}</button>
    </div>
    <p class=${state === 'fail' ? 'field-error' : 'hint'} role="status">${state === 'ok' ? t('secret.copied') : state === 'fail' ? t('secret.copyFailed') : ''}</p>
  </div>`;
}

/** A modal dialog with credentials shown once (a device's secret, an API key's): each with
 * a copy button, the warning, and one button to close it. Escape closes it too. Closing it
 * puts the focus on the element with the id returnTo: the button that asked for the secret
 * (named by the caller, because by the time the answer arrives the focus may be anywhere,
 * and a re-render may have replaced that button). */
export function SecretDialog({ title, hint, rows, onClose, returnTo }) {
  const ref = useRef(null);
  const box = useRef(null);
  useEffect(() => {
    if (ref.current) ref.current.focus();
    const keys = (e) => {
      if (e.key === 'Escape') onClose();
      if (e.key !== 'Tab' || !box.current) return;
      // Focus stays in the dialog while it is open (aria-modal).
      const f = [...box.current.querySelectorAll('input, button')];
      const i = f.indexOf(document.activeElement);
      if (e.shiftKey && i <= 0) {
        e.preventDefault();
        f[f.length - 1].focus();
      } else if (!e.shiftKey && i === f.length - 1) {
        e.preventDefault();
        f[0].focus();
      }
    };
    addEventListener('keydown', keys);
    return () => {
      removeEventListener('keydown', keys);
      const back = document.getElementById(returnTo);
      if (back) back.focus();
    };
  }, []);
  return html`<div class="backdrop">
    <div class="dialog dialog-wide" ref=${box} role="dialog" aria-modal="true" aria-labelledby="secret-title" aria-describedby="secret-once">
      <h2 id="secret-title" tabindex="-1" ref=${ref}>${title}</h2>
      <p id="secret-once" class="notice notice-warn">${t('secret.once')}</p>
      ${hint && html`<p>${hint}</p>`}
      ${rows.map((r, i) => html`<${SecretRow} id=${`secret-${i}`} label=${r.label} value=${r.value} />`)}
      <div class="actions"><button type="button" class="btn btn-primary" onClick=${onClose}>${t('secret.done')}</button></div>
    </div>
  </div>`;
}

/** A button for something that cannot be undone: the first press asks, the second acts. */
export function ConfirmButton({ label, action, onConfirm, small = true }) {
  const [asking, setAsking] = useState(false);
  const yes = useRef(null);
  useEffect(() => {
    if (asking && yes.current) yes.current.focus();
  }, [asking]);
  const cls = `btn btn-danger${small ? ' btn-small' : ''}`;
  if (!asking) return html`<button type="button" class=${cls} onClick=${() => setAsking(true)}>${label}</button>`;
  return html`<span class="confirm" role="group" aria-label=${label}>
    <span class="muted">${t('confirm.ask')}</span>
    <button type="button" ref=${yes} class=${cls} onClick=${() => { setAsking(false); onConfirm(); }}>${t('confirm.yes', { action })}</button>
    <button type="button" class=${`btn${small ? ' btn-small' : ''}`} onClick=${() => setAsking(false)}>${t('confirm.no')}</button>
  </span>`;
}

/** True when the route itself is not there (quired's router answers 404 "no such resource"
 * or 405): a feature of a later release. */
export function missingRoute(e) {
  return !!e && (e.status === 405 || (e.status === 404 && e.message === 'no such resource'));
}
