// SPDX-License-Identifier: Apache-2.0
// quire portal: the JSON API with the in-memory access token. A 401 renews the token once
// (prompt=none) and retries; errors carry the API's code and message.
import { renew, token } from './auth.js';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let onSignedOut = () => {};
export function whenSignedOut(fn) {
  onSignedOut = fn;
}

async function send(method, path, body, signal) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
}

async function failure(res) {
  const j = await res.json().catch(() => ({}));
  return new ApiError(res.status, j.error || 'error', j.message || `HTTP ${res.status}`);
}

/** Calls the API; resolves to the JSON answer (null for 204), rejects with an ApiError (an
 * AbortError when opts.signal, an AbortController's, cancelled it). */
export async function api(method, path, body, opts = {}) {
  let res;
  try {
    res = await send(method, path, body, opts.signal);
    if (res.status === 401 && (await renew())) res = await send(method, path, body, opts.signal);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', '');
  }
  if (res.status === 401) {
    onSignedOut();
    throw await failure(res);
  }
  if (!res.ok) throw await failure(res);
  return res.status === 204 ? null : res.json();
}

/** Uploads a PDF as a print job; onProgress(fraction) while it goes. */
export function uploadJob(file, params, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/jobs?${new URLSearchParams(params)}`);
    xhr.setRequestHeader('Authorization', `Bearer ${token()}`);
    xhr.setRequestHeader('Content-Type', 'application/pdf');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let j = {};
      try {
        j = JSON.parse(xhr.responseText);
      } catch {
        j = {};
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(j);
      else reject(new ApiError(xhr.status, j.error || 'error', j.message || `HTTP ${xhr.status}`));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', ''));
    xhr.send(file);
  });
}

/** Downloads a document of the API as a file named name. */
export async function download(path, name) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (!res.ok) throw await failure(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
