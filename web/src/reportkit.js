// SPDX-License-Identifier: Apache-2.0
// quire portal: what the report pages share: loading with a spinner and a cancel
// (AbortController), the period and month pickers, the figures table and a small SVG bar
// chart (no library: attributes only, nothing inline that the CSP would refuse; every chart
// has its table beside it, which is what screen readers read).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, download } from './api.js';
import { addMessages, t } from './i18n.js';
import { errorText, html, Notice } from './ui.js';

addMessages({
  en: {
    'rk.loading': 'Loading the report…',
    'rk.cancel': 'Cancel',
    'rk.cancelled': 'Loading was cancelled.',
    'rk.retry': 'Load again',
    'rk.csv': 'Download CSV',
    'rk.period': 'Period',
    'rk.this': 'This month',
    'rk.last': 'Last month',
    'rk.custom': 'Custom period',
    'rk.start': 'From',
    'rk.end': 'To',
    'rk.month': 'Month',
    'rk.total': 'Total',
    'rk.mono': 'Black and white pages',
    'rk.color': 'Colour pages',
    'rk.chart': 'Printed pages per {what}, black and white and colour',
    'rk.chart.empty': 'Nothing was printed in this period.',
    'rk.col.print': 'Printed pages',
    'rk.col.mono': 'B/W',
    'rk.col.color': 'Colour',
    'rk.col.duplex': 'Two-sided',
    'rk.col.jobs': 'Print jobs',
    'rk.col.copy': 'Copied pages',
    'rk.col.scan': 'Scanned pages',
  },
  de: {
    'rk.loading': 'Der Bericht wird geladen …',
    'rk.cancel': 'Abbrechen',
    'rk.cancelled': 'Das Laden wurde abgebrochen.',
    'rk.retry': 'Erneut laden',
    'rk.csv': 'CSV herunterladen',
    'rk.period': 'Zeitraum',
    'rk.this': 'Dieser Monat',
    'rk.last': 'Letzter Monat',
    'rk.custom': 'Eigener Zeitraum',
    'rk.start': 'Von',
    'rk.end': 'Bis',
    'rk.month': 'Monat',
    'rk.total': 'Summe',
    'rk.mono': 'Schwarzweiß-Seiten',
    'rk.color': 'Farbseiten',
    'rk.chart': 'Gedruckte Seiten je {what}, schwarzweiß und farbig',
    'rk.chart.empty': 'In diesem Zeitraum wurde nichts gedruckt.',
    'rk.col.print': 'Gedruckte Seiten',
    'rk.col.mono': 'S/W',
    'rk.col.color': 'Farbe',
    'rk.col.duplex': 'Beidseitig',
    'rk.col.jobs': 'Druckaufträge',
    'rk.col.copy': 'Kopierte Seiten',
    'rk.col.scan': 'Gescannte Seiten',
  },
});

export function Title({ headingRef, children }) {
  return html`<h1 tabindex="-1" ref=${headingRef}>${children}</h1>`;
}

/** GETs path (none while it is null) with an AbortController; {data, error, busy, cancelled,
 * cancel(), reload()}. A newer path cancels the older request. */
export function useLoad(path) {
  const [s, setS] = useState({ data: null, error: null, busy: false, cancelled: false });
  const ctl = useRef(null);
  const load = async () => {
    if (ctl.current) ctl.current.abort();
    if (!path) return;
    const c = new AbortController();
    ctl.current = c;
    setS({ data: null, error: null, busy: true, cancelled: false });
    try {
      const data = await api('GET', path, undefined, { signal: c.signal });
      if (ctl.current === c) setS({ data, error: null, busy: false, cancelled: false });
    } catch (e) {
      if (ctl.current !== c) return;
      if (e && e.name === 'AbortError') setS({ data: null, error: null, busy: false, cancelled: true });
      else setS({ data: null, error: e, busy: false, cancelled: false });
    }
  };
  // A new path starts its request from this render (not from an effect, which the browser may
  // postpone to the next frame); leaving the page cancels what is still running.
  const last = useRef(undefined);
  if (last.current !== path) {
    last.current = path;
    queueMicrotask(load);
  }
  useEffect(() => () => ctl.current && ctl.current.abort(), []);
  const cancel = () => ctl.current && ctl.current.abort();
  return { ...s, cancel, reload: load };
}

/** The state of a useLoad(): spinner with cancel, the API's error, or the cancelled note. */
export function LoadState({ load }) {
  if (load.busy)
    return html`<div class="spin-row" role="status"><span class="spinner" aria-hidden="true"></span>${t('rk.loading')}
      <button class="btn btn-small" onClick=${load.cancel}>${t('rk.cancel')}</button></div>`;
  if (load.error) return html`<${Notice} kind="error">${errorText(load.error)}<//>`;
  if (load.cancelled)
    return html`<p class="notice notice-warn" role="status">${t('rk.cancelled')}
      <button class="btn btn-small" onClick=${load.reload}>${t('rk.retry')}</button></p>`;
  return null;
}

const pad = (n) => String(n).padStart(2, '0');
export const ymd = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
export const thisMonth = () => ymd(new Date()).slice(0, 7);

/** {kind: this|last|custom, from, to} -> {from, to} as YYYY-MM-DD, or null while incomplete. */
export function periodDates(p) {
  const now = new Date();
  const y = now.getFullYear();
  const m = now.getMonth();
  if (p.kind === 'this') return { from: ymd(new Date(y, m, 1)), to: ymd(new Date(y, m + 1, 0)) };
  if (p.kind === 'last') return { from: ymd(new Date(y, m - 1, 1)), to: ymd(new Date(y, m, 0)) };
  return /^\d{4}-\d\d-\d\d$/.test(p.from) && /^\d{4}-\d\d-\d\d$/.test(p.to) ? { from: p.from, to: p.to } : null;
}

export function PeriodPicker({ id, value, onChange }) {
  const set = (k) => (e) => onChange({ ...value, [k]: e.currentTarget.value });
  return html`<div class="inline-form period">
    <div class="field"><label for=${`${id}-kind`}>${t('rk.period')}</label>
      <select id=${`${id}-kind`} value=${value.kind} onChange=${set('kind')}>
        <option value="this">${t('rk.this')}</option><option value="last">${t('rk.last')}</option><option value="custom">${t('rk.custom')}</option>
      </select></div>
    ${value.kind === 'custom' && html`<div class="field"><label for=${`${id}-from`}>${t('rk.start')}</label>
        <input id=${`${id}-from`} type="date" value=${value.from} onInput=${set('from')} /></div>
      <div class="field"><label for=${`${id}-to`}>${t('rk.end')}</label>
        <input id=${`${id}-to`} type="date" value=${value.to} onInput=${set('to')} /></div>`}
  </div>`;
}

export function MonthPicker({ id, value, onChange }) {
  return html`<div class="field month"><label for=${id}>${t('rk.month')}</label>
    <input id=${id} type="month" value=${value} onChange=${(e) => /^\d{4}-\d\d$/.test(e.currentTarget.value) && onChange(e.currentTarget.value)} /></div>`;
}

/** A button that downloads path as name; the API's error shows beside it. */
export function CsvButton({ path, name }) {
  const [err, setErr] = useState(null);
  const get = async () => {
    setErr(null);
    try {
      await download(path, name);
    } catch (e) {
      setErr(e);
    }
  };
  return html`<span class="csv"><button class="btn" onClick=${get}>${t('rk.csv')}</button>
    ${err && html`<${Notice} kind="error">${errorText(err)}<//>`}</span>`;
}

const FIGS = [
  ['print_pages', 'rk.col.print'],
  ['print_mono_pages', 'rk.col.mono'],
  ['print_color_pages', 'rk.col.color'],
  ['print_duplex_pages', 'rk.col.duplex'],
  ['print_jobs', 'rk.col.jobs'],
  ['copy_pages', 'rk.col.copy'],
  ['scan_pages', 'rk.col.scan'],
];

/** The figures table: a row per item (label(row) names it), the totals in the foot. */
export function FigTable({ caption, head, rows, label, totals, extra = [] }) {
  const cols = [...extra.map(([f, n, num]) => [f, n, num, false]), ...FIGS.map(([k, m]) => [(r) => r[k] ?? 0, t(m), true, true])];
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label=${caption}><table class="figures">
    <caption class="sr-only">${caption}</caption>
    <thead><tr><th scope="col">${head}</th>${cols.map(([, n, num]) => html`<th scope="col" class=${num ? 'num' : ''}>${n}</th>`)}</tr></thead>
    <tbody>${rows.map((r) => html`<tr><th scope="row" class="name"><bdi>${label(r)}</bdi></th>${cols.map(([f, , num]) => html`<td class=${num ? 'num' : ''}>${f(r)}</td>`)}</tr>`)}</tbody>
    ${totals && html`<tfoot><tr><th scope="row">${t('rk.total')}</th>${cols.map(([f, , num, fig]) => html`<td class=${num ? 'num' : ''}>${fig ? f(totals) : ''}</td>`)}</tr></tfoot>`}
  </table></div>`;
}

/** Horizontal stacked bars (black and white, colour) per row; the table beside it carries the
 * same figures for assistive technology, so the picture is named but not read point by point. */
export function BarChart({ id, what, rows }) {
  const data = rows.filter((r) => r.mono + r.color > 0);
  if (data.length === 0) return html`<p class="muted">${t('rk.chart.empty')}</p>`;
  const max = Math.max(...data.map((r) => r.mono + r.color));
  const W = 640;
  const L = 180;
  const R = 60;
  const bar = 22;
  const gap = 10;
  const H = data.length * (bar + gap) + gap;
  const scale = (n) => (n / max) * (W - L - R);
  const short = (s) => (String(s ?? '').length > 24 ? `${String(s).slice(0, 23)}…` : String(s ?? ''));
  // On a narrow screen the chart keeps its size and scrolls sideways (its text stays legible).
  return html`<figure class="chart"><div class="chart-scroll" tabindex="0" role="region" aria-label=${t('rk.chart', { what })}>
    <svg viewBox=${`0 0 ${W} ${H}`} role="img" aria-labelledby=${`${id}-title`} preserveAspectRatio="xMinYMin meet">
      <title id=${`${id}-title`}>${t('rk.chart', { what })}</title>
      ${data.map((r, i) => {
        const y = gap + i * (bar + gap);
        const wm = scale(r.mono);
        const wc = scale(r.color);
        return html`<g>
          <text class="chart-label" x=${L - 8} y=${y + bar / 2} text-anchor="end" dominant-baseline="middle">${short(r.label)}</text>
          <rect class="chart-mono" x=${L} y=${y} width=${wm} height=${bar}></rect>
          <rect class="chart-color" x=${L + wm} y=${y} width=${wc} height=${bar}></rect>
          <text class="chart-value" x=${L + wm + wc + 6} y=${y + bar / 2} dominant-baseline="middle">${r.mono + r.color}</text>
        </g>`;
      })}
    </svg></div>
    <figcaption class="legend"><span class="legend-item"><span class="key key-mono" aria-hidden="true"></span>${t('rk.mono')}</span>
      <span class="legend-item"><span class="key key-color" aria-hidden="true"></span>${t('rk.color')}</span></figcaption>
  </figure>`;
}

/** The query string of an object, leaving out empty values. */
export function qs(o) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== '' && v !== null && v !== undefined) p.set(k, v);
  return p.toString();
}
