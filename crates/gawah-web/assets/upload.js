// gawah: the incident page's evidence form as a resumable upload (tus 1.0), when JavaScript
// runs. Without it, the same form posts the file as multipart and works just the same.
//
// The file goes in chunks (data-chunk-size) to /api/v1/uploads, authenticated by the page's
// session cookie plus its form token in the X-Gawah-CSRF header. The upload's URL is kept in
// localStorage under the incident, file name, size and modification time, so that choosing the
// same file again after a dropped connection or a reload continues where the server stopped.
// A network error is retried a few times, each time asking the server (HEAD) for its offset.
// When done, the page goes where the plain form's redirect goes: the incident's evidence.
// Messages come from the form's data-msg-* attributes, written by the server in the page's
// language.
(() => {
  'use strict';

  const form = document.querySelector('form[data-tus-endpoint]');
  if (!form || typeof XMLHttpRequest === 'undefined' || typeof Blob === 'undefined') return;

  const TUS = '1.0.0';
  const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000];
  const endpoint = form.dataset.tusEndpoint;
  const incident = form.dataset.incident;
  const chunkSize = Number(form.dataset.chunkSize) || 8 * 1024 * 1024;
  const csrf = form.querySelector('input[name="csrf"]').value;
  const fileInput = form.querySelector('input[type="file"]');
  const caseInput = form.querySelector('input[name="case"]');
  const confidential = form.querySelector('input[name="confidential"]');
  const button = form.querySelector('button[type="submit"]');
  const statusBox = form.querySelector('.upload-status');
  const bar = statusBox.querySelector('progress');
  const statusText = statusBox.querySelector('[role="status"]');
  const numbers = new Intl.NumberFormat(document.documentElement.lang || 'en', { maximumFractionDigits: 1 });

  /** A message of the form's data-msg-NAME attribute, with {placeholders} filled in. */
  const message = (name, values = {}) => {
    const key = 'msg' + name.charAt(0).toUpperCase() + name.slice(1);
    return (form.dataset[key] || '').replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  };

  /** Bytes in the largest binary unit that keeps one decimal meaningful, as the server does. */
  const size = (bytes) => {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit + 1 < units.length) {
      value /= 1024;
      unit += 1;
    }
    return `${numbers.format(unit === 0 ? value : Math.round(value * 10) / 10)} ${units[unit]}`;
  };

  let announcedTenth = -1;
  const say = (text) => {
    statusText.textContent = text;
  };
  const showProgress = (done, total) => {
    const percent = total > 0 ? Math.floor((done * 100) / total) : 100;
    bar.value = percent;
    // The text (read by screen readers) changes every ten percent, not at every event.
    const tenth = Math.floor(percent / 10);
    if (tenth !== announcedTenth) {
      announcedTenth = tenth;
      say(message('uploading', { done: size(done), total: size(total), percent: numbers.format(percent) }));
    }
  };

  const storage = {
    get(key) {
      try { return window.localStorage.getItem(key); } catch { return null; }
    },
    set(key, value) {
      try { window.localStorage.setItem(key, value); } catch { /* private mode: no resume after reload */ }
    },
    remove(key) {
      try { window.localStorage.removeItem(key); } catch { /* as above */ }
    },
  };

  const base64 = (text) => {
    let binary = '';
    for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
    return btoa(binary);
  };

  class NetworkError extends Error {}
  class Refused extends Error {
    constructor(status) {
      super(`HTTP ${status}`);
      this.status = status;
    }
  }

  /** One request; resolves with the XHR once answered (any status), rejects on a network error. */
  const send = (method, url, headers, body, onProgress) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader('Tus-Resumable', TUS);
    xhr.setRequestHeader('X-Gawah-CSRF', csrf);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new NetworkError(`${method} ${url}`));
    xhr.onabort = xhr.onerror;
    xhr.send(body ?? null);
  });

  const offsetOf = (xhr) => Number(xhr.getResponseHeader('Upload-Offset'));
  const wait = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  /** The offset the server has for `url`, or null if it no longer knows the upload. */
  const serverOffset = async (url) => {
    const xhr = await send('HEAD', url, {});
    if (xhr.status === 404 || xhr.status === 410) return null;
    if (xhr.status !== 200) throw new Refused(xhr.status);
    return offsetOf(xhr);
  };

  const create = async (file) => {
    const meta = [['filename', file.name], ['incident', incident]];
    if (caseInput && caseInput.value.trim()) meta.push(['case', caseInput.value.trim()]);
    if (confidential && confidential.checked) meta.push(['confidential', 'on']);
    const xhr = await send('POST', endpoint, {
      'Upload-Length': String(file.size),
      'Upload-Metadata': meta.map(([k, v]) => `${k} ${base64(v)}`).join(','),
    });
    const location = xhr.getResponseHeader('Location');
    if (xhr.status !== 201 || !location) throw new Refused(xhr.status);
    return new URL(location, window.location.href).pathname;
  };

  /** Sends the file from `offset` to the end, chunk by chunk. */
  const sendFrom = async (url, file, start) => {
    let offset = start;
    showProgress(offset, file.size);
    while (offset < file.size) {
      const chunk = file.slice(offset, Math.min(offset + chunkSize, file.size));
      const at = offset;
      const xhr = await send('PATCH', url, {
        'Upload-Offset': String(at),
        'Content-Type': 'application/offset+octet-stream',
      }, chunk, (loaded) => showProgress(at + loaded, file.size));
      if (xhr.status === 409) {
        // The server is elsewhere (an earlier request did arrive): continue from there.
        offset = offsetOf(xhr);
      } else if (xhr.status === 204) {
        offset = offsetOf(xhr);
      } else {
        throw new Refused(xhr.status);
      }
      showProgress(offset, file.size);
    }
  };

  const upload = async (file) => {
    const key = `gawah-tus:${incident}:${file.name}:${file.size}:${file.lastModified}`;
    let url = storage.get(key);
    let offset = null;
    if (url) {
      offset = await serverOffset(url);
      if (offset === null) storage.remove(key);
      else say(message('resumed'));
    }
    if (offset === null) {
      url = await create(file);
      storage.set(key, url);
      offset = 0;
    }
    for (let attempt = 0; ; attempt += 1) {
      try {
        await sendFrom(url, file, offset);
        break;
      } catch (e) {
        const retriable = e instanceof NetworkError || (e instanceof Refused && [423, 500, 502, 503, 504].includes(e.status));
        if (!retriable || attempt >= RETRY_DELAYS_MS.length) throw e;
        say(message('resuming'));
        announcedTenth = -1;
        await wait(RETRY_DELAYS_MS[attempt]);
        try {
          offset = await serverOffset(url);
        } catch (again) {
          if (!(again instanceof NetworkError)) throw again;
        }
        if (offset === null) {
          storage.remove(key);
          throw new Refused(410);
        }
      }
    }
    storage.remove(key);
  };

  form.addEventListener('submit', async (event) => {
    const file = fileInput.files && fileInput.files[0];
    if (!file) return; // the browser's own "required" message, or the plain form
    event.preventDefault();
    button.disabled = true;
    statusBox.hidden = false;
    announcedTenth = -1;
    bar.value = 0;
    try {
      await upload(file);
      bar.value = 100;
      say(message('done'));
      // Where the plain form's redirect goes; a reload, since only the fragment may differ.
      window.history.replaceState(null, '', `/incidents/${encodeURIComponent(incident)}#evidence`);
      window.location.reload();
    } catch (e) {
      say(message(e instanceof NetworkError ? 'failed' : 'refused'));
      button.disabled = false;
    }
  });
})();
