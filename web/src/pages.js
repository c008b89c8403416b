// SPDX-License-Identifier: Apache-2.0
// quire portal: the pages. Each works on the JSON API only; what a role may do is the API's
// decision (TEN-3): a refused request shows the API's message.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, download, uploadJob } from './api.js';
import { fmtTime, t } from './i18n.js';
import { Empty, errorText, Field, fieldError, html, Notice } from './ui.js';

/** Loads path on mount and on reload(); {data, error, reload}. */
export function useApi(path) {
  const [s, setS] = useState({ data: null, error: null });
  // The path asked last: an answer to an earlier path (a search typed on) is dropped.
  const latest = useRef(path);
  latest.current = path;
  const reload = async () => {
    let next;
    try {
      next = { data: await api('GET', path), error: null };
    } catch (e) {
      next = { data: null, error: e };
    }
    if (latest.current === path) setS(next);
  };
  useEffect(() => {
    reload();
  }, [path]);
  return { ...s, reload };
}

/** The outcome of a form or an action: news, or the API's error (by field). run(fn, fields)
 * clears both, awaits fn (which may return the news) and catches its error. */
export function useOutcome() {
  const [err, setErr] = useState({});
  const [news, setNews] = useState('');
  const run = async (fn, fields = {}) => {
    setErr({});
    setNews('');
    try {
      const m = await fn();
      if (m) setNews(m);
      return true;
    } catch (x) {
      setErr(fieldError(x, fields));
      return false;
    }
  };
  return { err, news, run, setErr };
}

export function Title({ headingRef, children }) {
  return html`<h1 tabindex="-1" ref=${headingRef}>${children}</h1>`;
}

export function Loading({ error }) {
  if (error) return html`<${Notice} kind="error">${errorText(error)}<//>`;
  return html`<p class="loading" role="status">${t('app.loading')}</p>`;
}

function fullName(u) {
  return [u.first_name, u.last_name].filter(Boolean).join(' ') || u.username;
}

function Home({ me, org, headingRef }) {
  const quota = useApi('/api/v1/me/quota');
  // AUTH-8: a PIN an admin had made for this user is shown here once, at the next sign-in.
  const pin = useApi('/api/v1/me/pin');
  const q = quota.data;
  const pct = q && q.monthly_pages ? Math.min(100, Math.round((q.used / q.monthly_pages) * 100)) : 0;
  return html`<${Title} headingRef=${headingRef}>${t('home.title', { name: fullName(me) })}<//>
    ${pin.data && pin.data.new && html`<${Notice}><span data-testid="new-pin">${t('home.newpin', { pin: pin.data.pin })}</span><//>`}
    <div class="cards">
      <section class="card" aria-labelledby="you-h">
        <h2 id="you-h">${t('home.you')}</h2>
        <dl class="facts">
          <dt>${t('home.username')}</dt><dd>${me.username}</dd>
          <dt>${t('home.org')}</dt><dd>${org ? org.name : me.org_id}</dd>
          <dt>${t('home.role')}</dt><dd>${t(`role.${me.role}`)}</dd>
        </dl>
      </section>
      <section class="card" aria-labelledby="quota-h">
        <h2 id="quota-h">${t('home.quota')}${q ? html` <span class="muted">(${q.month})</span>` : ''}</h2>
        ${!q ? html`<${Loading} error=${quota.error} />`
          : q.monthly_pages === null ? html`<p class="big">${t('home.quota.unlimited', { used: q.used })}</p>`
          : html`<p class="big">${t('home.quota.used', { used: q.used, limit: q.monthly_pages })}</p>
              <div class="meter" role="meter" aria-label=${t('home.quota')} aria-valuemin="0" aria-valuemax=${q.monthly_pages} aria-valuenow=${q.used}>
                <span class=${`meter-bar w${Math.round(pct / 5) * 5}`}></span>
              </div>
              <p class="muted">${t('home.quota.remaining', { n: q.remaining })}</p>`}
      </section>
    </div>`;
}

function Jobs({ headingRef }) {
  const jobs = useApi('/api/v1/jobs');
  const [file, setFile] = useState(null);
  const [name, setName] = useState('');
  const [copies, setCopies] = useState('1');
  const [color, setColor] = useState(false);
  const [duplex, setDuplex] = useState(true);
  const [progress, setProgress] = useState(null);
  const { err, news, run } = useOutcome();
  const submit = async (e) => {
    e.preventDefault();
    if (!file) return;
    const form = e.target;
    const jobName = name.trim() || file.name;
    const params = { name: jobName, copies, color: String(color), duplex: String(duplex) };
    setProgress(0);
    await run(
      async () => {
        await uploadJob(file, params, setProgress);
        setName('');
        form.reset();
        setFile(null);
        await jobs.reload();
        return t('jobs.uploaded', { name: jobName });
      },
      { copies: ['copies'], name: ["'name'", 'name '], file: [/invalid_document|PDF|too large|larger/] },
    );
    setProgress(null);
  };
  const remove = (j) =>
    run(async () => {
      await api('DELETE', `/api/v1/jobs/${j.id}`);
      await jobs.reload();
      return t('jobs.deleted', { name: j.name });
    });
  return html`<${Title} headingRef=${headingRef}>${t('jobs.title')}<//>
    <section class="card" aria-labelledby="upload-h">
      <h2 id="upload-h">${t('jobs.upload')}</h2>
      <form class="form-grid" onSubmit=${submit} novalidate>
        <${Field} id="job-file" label=${t('jobs.file')} error=${err.field === 'file' && err.text}>
          ${(a) => html`<input ...${a} type="file" accept="application/pdf,.pdf" required onChange=${(e) => setFile(e.currentTarget.files[0] || null)} />`}
        <//>
        <${Field} id="job-name" label=${t('jobs.name')} error=${err.field === 'name' && err.text}>
          ${(a) => html`<input ...${a} type="text" maxlength="255" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />`}
        <//>
        <${Field} id="job-copies" label=${t('jobs.copies')} error=${err.field === 'copies' && err.text}>
          ${(a) => html`<input ...${a} type="number" min="1" max="999" value=${copies} onInput=${(e) => setCopies(e.currentTarget.value)} />`}
        <//>
        <div class="checks">
          <label><input type="checkbox" checked=${color} onChange=${(e) => setColor(e.currentTarget.checked)} /> ${t('jobs.color')}</label>
          <label><input type="checkbox" checked=${duplex} onChange=${(e) => setDuplex(e.currentTarget.checked)} /> ${t('jobs.duplex')}</label>
        </div>
        <div class="actions"><button class="btn btn-primary" type="submit" disabled=${!file || progress !== null}>${t('jobs.submit')}</button></div>
        ${progress !== null && html`<div class="progress-row"><label for="job-progress">${t('jobs.progress')}</label>
          <progress id="job-progress" max="100" value=${Math.round(progress * 100)}>${Math.round(progress * 100)}%</progress></div>`}
      </form>
      ${!err.field && err.text && html`<${Notice} kind="error">${err.text}<//>`}
      <${Notice}>${news}<//>
    </section>
    <section aria-labelledby="list-h">
      <div class="section-head"><h2 id="list-h">${t('jobs.title')}</h2><button class="btn btn-quiet" onClick=${jobs.reload}>${t('common.refresh')}</button></div>
      ${!jobs.data ? html`<${Loading} error=${jobs.error} />`
        : jobs.data.items.length === 0 ? html`<${Empty}>${t('jobs.empty')}<//>`
        : html`<div class="table-wrap"><table>
          <thead><tr><th scope="col">${t('jobs.col.name')}</th><th scope="col">${t('jobs.col.status')}</th><th scope="col" class="num">${t('jobs.col.pages')}</th><th scope="col">${t('jobs.col.created')}</th><th scope="col">${t('jobs.col.expires')}</th><th scope="col"><span class="sr-only">${t('jobs.col.actions')}</span></th></tr></thead>
          <tbody>${jobs.data.items.map((j) => html`<tr data-job=${j.id}>
            <td class="name"><bdi>${j.name}</bdi></td>
            <td><span class=${`badge badge-${j.status}`}>${t(`status.${j.status}`)}</span></td>
            <td class="num">${j.pages ?? '—'}</td>
            <td>${fmtTime(j.created_at)}</td>
            <td>${fmtTime(j.expires_at)}</td>
            <td><button class="btn btn-danger btn-small" aria-label=${t('jobs.delete', { name: j.name })} onClick=${() => remove(j)}>✕</button></td>
          </tr>`)}</tbody></table></div>`}
    </section>`;
}

/** The documents of a finished scan in the download area (the list does not carry them). */
function ScanDocs({ scan, onError }) {
  const one = useApi(`/api/v1/scans/${scan.id}`);
  const docs = (one.data && one.data.documents) || [];
  const get = async (d) => {
    try {
      await download(`/api/v1/scans/${scan.id}/documents/${d.n}`, d.name);
    } catch (x) {
      onError(x);
    }
  };
  return html`${docs.map(
    (d) => html`<button class="btn btn-link" aria-label=${t('scans.download', { name: d.name })} onClick=${() => get(d)}><bdi>${d.name}</bdi></button> `,
  )}`;
}

const SCAN_BUSY = ['uploading', 'queued', 'processing', 'delivering'];

function Scans({ headingRef }) {
  const scans = useApi('/api/v1/scans');
  const [msg, setMsg] = useState({});
  // Scans being processed update by themselves.
  const busy = scans.data && scans.data.items.some((s) => SCAN_BUSY.includes(s.status));
  useEffect(() => {
    if (!busy) return undefined;
    const timer = setInterval(scans.reload, 3000);
    return () => clearInterval(timer);
  }, [busy]);
  const remove = async (s) => {
    try {
      await api('DELETE', `/api/v1/scans/${s.id}`);
      setMsg({ ok: t('scans.deleted', { name: s.name }) });
      await scans.reload();
    } catch (x) {
      setMsg({ error: errorText(x) });
    }
  };
  return html`<${Title} headingRef=${headingRef}>${t('scans.title')}<//>
    <${Notice} kind="error">${msg.error}<//><${Notice}>${msg.ok}<//>
    <div class="section-head"><span></span><button class="btn btn-quiet" onClick=${scans.reload}>${t('common.refresh')}</button></div>
    ${!scans.data ? html`<${Loading} error=${scans.error} />`
      : scans.data.items.length === 0 ? html`<${Empty}>${t('scans.empty')}<//>`
      : html`<div class="table-wrap"><table>
        <thead><tr><th scope="col">${t('scans.col.name')}</th><th scope="col">${t('scans.col.workflow')}</th><th scope="col">${t('scans.col.status')}</th><th scope="col" class="num">${t('scans.col.pages')}</th><th scope="col">${t('scans.col.documents')}</th><th scope="col"><span class="sr-only">${t('scans.col.actions')}</span></th></tr></thead>
        <tbody>${scans.data.items.map((s) => html`<tr>
          <td class="name"><bdi>${s.name}</bdi></td>
          <td><bdi>${s.workflow_name ?? ''}</bdi></td>
          <td><span class=${`badge badge-${s.status}`}>${t(`status.${s.status}`)}</span>${s.error ? html` <span class="muted">${s.error}</span>` : ''}</td>
          <td class="num">${s.pages_out || s.pages_in}</td>
          <td>${s.status === 'done' && html`<${ScanDocs} key=${s.id + s.updated_at} scan=${s} onError=${(x) => setMsg({ error: errorText(x) })} />`}</td>
          <td><button class="btn btn-danger btn-small" aria-label=${t('scans.delete', { name: s.name })} onClick=${() => remove(s)}>✕</button></td>
        </tr>`)}</tbody></table></div>`}`;
}

function Pin({ org, headingRef }) {
  const [pin, setPin] = useState(undefined);
  const [shown, setShown] = useState(false);
  const [value, setValue] = useState('');
  const { err, news, run, setErr } = useOutcome();
  const cards = useApi('/api/v1/me/cards');
  const loadPin = async () => {
    try {
      const p = await api('GET', '/api/v1/me/pin');
      setPin(p.pin);
      if (p.new) setShown(true); // an admin-generated PIN, delivered by this read
    } catch (x) {
      setPin(x.status === 404 ? null : undefined);
      if (x.status !== 404) setErr({ text: errorText(x) });
    }
  };
  useEffect(() => {
    loadPin();
  }, []);
  const save = (body) =>
    run(
      async () => {
        setPin((await api('POST', '/api/v1/me/pin', body)).pin);
        setShown(true);
        setValue('');
        return t('pin.saved');
      },
      { pin: [/invalid_pin/] },
    );
  const removeCard = (c) =>
    run(async () => {
      await api('DELETE', `/api/v1/me/cards/${c.id}`);
      await cards.reload();
      return t('cards.deleted');
    });
  const mode = org ? org.pin_mode : 'user_pin';
  return html`<${Title} headingRef=${headingRef}>${t('pin.title')}<//>
    <${Notice}>${news}<//>${!err.field && err.text && html`<${Notice} kind="error">${err.text}<//>`}
    <section class="card" aria-labelledby="pin-h">
      <h2 id="pin-h">${t('pin.yours')}</h2>
      <p class="muted">${mode === 'pin_only' ? t('pin.mode.pin_only') : t('pin.mode.user_pin', { lengths: org ? org.pin_lengths.join(', ') : '4–8' })}</p>
      ${pin === null ? html`<p>${t('pin.none')}</p>`
        : pin === undefined ? html`<${Loading} />`
        : html`<p class="pin"><span class="pin-value" data-testid="pin">${shown ? pin : '•'.repeat(pin.length)}</span>
            <button class="btn btn-quiet" aria-pressed=${shown ? 'true' : 'false'} onClick=${() => setShown(!shown)}>${shown ? t('pin.hide') : t('pin.show')}</button></p>`}
      ${mode === 'user_pin' && html`<form class="inline-form" onSubmit=${(e) => { e.preventDefault(); save({ pin: value }); }}>
        <${Field} id="pin-new" label=${t('pin.new')} error=${err.field === 'pin' && err.text}>
          ${(a) => html`<input ...${a} type="password" inputmode="numeric" autocomplete="off" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} />`}
        <//>
        <button class="btn btn-primary" type="submit">${t('pin.set')}</button>
      </form>`}
      <p><button class="btn" onClick=${() => save(undefined)}>${t('pin.generate')}</button></p>
    </section>
    <section aria-labelledby="cards-h">
      <h2 id="cards-h">${t('cards.title')}</h2>
      ${!cards.data ? html`<${Loading} error=${cards.error} />`
        : cards.data.items.length === 0 ? html`<${Empty}>${t('cards.empty')}<//>`
        : html`<div class="table-wrap"><table><thead><tr><th scope="col">${t('cards.col.number')}</th><th scope="col">${t('cards.col.added')}</th><th scope="col"><span class="sr-only">${t('jobs.col.actions')}</span></th></tr></thead>
          <tbody>${cards.data.items.map((c) => html`<tr><td>${c.number}</td><td>${fmtTime(c.created_at)}</td>
            <td><button class="btn btn-danger btn-small" aria-label=${t('cards.delete', { number: c.number })} onClick=${() => removeCard(c)}>✕</button></td></tr>`)}</tbody></table></div>`}
    </section>`;
}

function Password({ headingRef }) {
  const [cur, setCur] = useState('');
  const [next, setNext] = useState('');
  const { err, news, run } = useOutcome();
  const submit = (e) => {
    e.preventDefault();
    run(
      async () => {
        await api('POST', '/api/v1/me/password', { current_password: cur, new_password: next });
        setCur('');
        setNext('');
        return t('password.saved');
      },
      { current: [/invalid_credentials|current_password/], next: [/invalid_password|new_password/] },
    );
  };
  return html`<${Title} headingRef=${headingRef}>${t('password.title')}<//>
    <section class="card narrow">
      <form onSubmit=${submit} novalidate>
        <${Field} id="pw-current" label=${t('password.current')} error=${err.field === 'current' && err.text}>
          ${(a) => html`<input ...${a} type="password" autocomplete="current-password" value=${cur} onInput=${(e) => setCur(e.currentTarget.value)} />`}
        <//>
        <${Field} id="pw-new" label=${t('password.new')} hint=${t('password.rules')} error=${err.field === 'next' && err.text}>
          ${(a) => html`<input ...${a} type="password" autocomplete="new-password" value=${next} onInput=${(e) => setNext(e.currentTarget.value)} />`}
        <//>
        <button class="btn btn-primary" type="submit">${t('password.save')}</button>
      </form>
      ${!err.field && err.text && html`<${Notice} kind="error">${err.text}<//>`}
      <${Notice}>${news}<//>
    </section>`;
}

function Log({ headingRef }) {
  const log = useApi('/api/v1/me/log');
  const yn = (b) => (b ? t('yes') : t('no'));
  return html`<${Title} headingRef=${headingRef}>${t('log.title')}<//>
    ${!log.data ? html`<${Loading} error=${log.error} />`
      : log.data.items.length === 0 ? html`<${Empty}>${t('log.empty')}<//>`
      : html`<div class="table-wrap"><table><thead><tr><th scope="col">${t('log.col.time')}</th><th scope="col">${t('log.col.type')}</th><th scope="col">${t('log.col.device')}</th><th scope="col" class="num">${t('log.col.pages')}</th><th scope="col" class="num">${t('log.col.copies')}</th><th scope="col">${t('log.col.color')}</th><th scope="col">${t('log.col.duplex')}</th></tr></thead>
        <tbody>${log.data.items.map((l) => html`<tr><td>${fmtTime(l.time)}</td><td>${t(`type.${l.type}`)}</td><td><bdi>${l.device_serial ?? l.device_id}</bdi></td>
          <td class="num">${l.pages}</td><td class="num">${l.copies}</td><td>${yn(l.color)}</td><td>${yn(l.duplex)}</td></tr>`)}</tbody></table></div>`}`;
}

export const pages = [
  { path: '', nav: 'nav.home', view: Home },
  { path: 'jobs', nav: 'nav.jobs', view: Jobs },
  { path: 'scans', nav: 'nav.scans', view: Scans },
  { path: 'pin', nav: 'nav.pin', view: Pin },
  { path: 'password', nav: 'nav.password', view: Password },
  { path: 'log', nav: 'nav.log', view: Log },
];
