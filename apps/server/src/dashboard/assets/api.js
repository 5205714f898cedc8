// The dashboard's only way to the data: the REST API, with the viewer's key.
const KEY = 'postbox-api-key';

export const session = { key: localStorage.getItem(KEY) ?? '', me: null, onUnauthorized: () => {} };

/** Whether the signed-in key has `scope` (admin has every scope). Actions it lacks are not offered. */
export const can = (scope) => !session.me || session.me.scopes.includes('admin') || session.me.scopes.includes(scope);

/** Who the key is: GET /v1/dashboard/me. */
export async function loadMe() {
  session.me = await api('GET', '/v1/dashboard/me');
}

export function saveKey(key) {
  session.key = key;
  if (key) localStorage.setItem(KEY, key);
  else localStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(body) {
  const result = {};
  if (session.key) result['x-api-key'] = session.key;
  if (body !== undefined) result['content-type'] = 'application/json';
  return result;
}

/** Relative URLs: the page may live behind a path prefix. */
export async function api(method, path, body) {
  const res = await fetch(path.replace(/^\//, ''), {
    method,
    headers: headers(body),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.status === 401) session.onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, json?.message ?? `${res.status} ${res.statusText}`);
  return json;
}

export const q = (name) => encodeURIComponent(name);

/**
 * Server-Sent Events read with fetch, not EventSource: EventSource cannot
 * send the key header, and a key in the URL would end up in access logs.
 * Reconnects after `retryMs` until `signal` aborts.
 */
export async function stream(path, onEvent, onState, signal) {
  while (!signal.aborted) {
    try {
      const res = await fetch(path, { headers: headers(), signal });
      if (res.status === 401) session.onUnauthorized();
      if (!res.ok || !res.body) throw new Error(`${res.status}`);
      onState(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) onEvent(event, JSON.parse(data));
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // reconnect below
    }
    if (signal.aborted) return;
    onState(false);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
