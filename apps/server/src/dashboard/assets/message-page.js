// One message: pretty body, headers, attempts, last error and timestamps, with redrive and delete.
import { useEffect, useState } from 'preact/hooks';
import { api, can, q } from './api.js';
import { ago, STATE_LABEL, STATES, time } from './format.js';
import { deleteMessage, redrive } from './queue-actions.js';
import { Badge, Card, Empty, html, Json } from './ui.js';

const STATE_KIND = { ready: 'info', delayed: 'warn', inFlight: 'violet', dead: 'danger' };

/** No route reads one message by id: peek the states (the given one first) and pick it out. */
async function findMessage(queue, id, first) {
  for (const state of [first, ...STATES.filter((s) => s !== first)].filter(Boolean)) {
    const { messages } = await api('GET', `/v1/queues/${q(queue)}/messages?state=${state}&limit=1000`);
    const found = messages.find((m) => m.id === id);
    if (found) return found;
  }
  return null;
}

export function MessagePage({ queue, id, state }) {
  const [message, setMessage] = useState(undefined);
  useEffect(() => {
    setMessage(undefined);
    findMessage(queue, id, state).then(setMessage, () => setMessage(null));
  }, [queue, id, state]);
  const back = `#/queues/${q(queue)}?state=${message?.state ?? state ?? 'ready'}`;
  const crumbs = html`<div class="crumbs"><a href="#/queues">Queues</a> / <a href=${back}>${queue}</a> /</div>`;
  if (message === undefined) return html`<div class="skeleton" />`;
  if (message === null)
    return html`<header class="page-head"><div>${crumbs}<h1>Message ${id}</h1></div></header>
      <${Empty}>Not among the 1,000 oldest messages of any state: it was acked, deleted, or is further back.</${Empty}>`;
  const m = message;
  const headers = Object.entries(m.headers ?? {});
  return html`
    <header class="page-head">
      <div>${crumbs}<h1>Message <span class="mono">${m.id}</span> <${Badge} kind=${STATE_KIND[m.state]}>${STATE_LABEL[m.state]}</${Badge}></h1></div>
      ${
        can('admin') &&
        html`<div class="head-actions">
        ${
          m.state === 'dead' &&
          html`<button class="btn" data-testid="message-redrive" onClick=${async () => {
            if (await redrive(queue, [m.id])) location.hash = back;
          }}>Redrive</button>`
        }
        <button class="btn btn-danger-ghost" data-testid="message-delete" onClick=${async () => {
          if (await deleteMessage(queue, m)) location.hash = back;
        }}>Delete…</button>
      </div>`
      }
    </header>
    ${m.lastError && html`<div class="error-note" data-testid="last-error"><b>Last error</b><pre>${m.lastError}</pre></div>`}
    <div class="grid-2 wide-left">
      <${Card} title="Body"><${Json} value=${m.body} /></${Card}>
      <div>
        <${Card} title="Details">
          <dl class="details">
            <dt>Attempts</dt><dd data-testid="attempts">${m.attempts}</dd>
            <dt>Priority</dt><dd>${m.priority}</dd>
            <dt>Group key</dt><dd class="mono">${m.groupKey ?? '–'}</dd>
            <dt>Dedup key</dt><dd class="mono">${m.dedupKey ?? '–'}</dd>
            <dt>Enqueued</dt><dd>${time(m.enqueuedAt)} <span class="muted">(${ago(m.enqueuedAt)})</span></dd>
            <dt>${m.state === 'dead' ? 'Died' : m.state === 'inFlight' ? 'Lease ends' : 'Visible'}</dt>
            <dd>${time(m.availableAt)} <span class="muted">(${ago(m.availableAt)})</span></dd>
          </dl>
        </${Card}>
        <${Card} title="Headers">
          ${
            headers.length === 0
              ? html`<${Empty}>No headers.</${Empty}>`
              : html`<table class="table compact"><tbody>
            ${headers.map(([k, v]) => html`<tr><td class="mono">${k}</td><td class="mono">${v}</td></tr>`)}</tbody></table>`
          }
        </${Card}>
      </div>
    </div>`;
}
