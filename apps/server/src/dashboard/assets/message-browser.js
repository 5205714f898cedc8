// Browse a queue's messages by state (peek: claims nothing), filtered by id, group key and header.
import { useState } from 'preact/hooks';
import { can, q } from './api.js';
import { ago, num, STATE_LABEL, STATES } from './format.js';
import { useApi } from './live.js';
import { deleteMessage, redrive } from './queue-actions.js';
import { Empty, ErrorNote, html, Tabs } from './ui.js';

const LIMITS = [50, 1000];

function matches(m, { id, group, header }) {
  if (id && m.id !== id.trim()) return false;
  if (group && !(m.groupKey ?? '').includes(group)) return false;
  if (header) {
    const [name, value] = header.split('=').map((s) => s.trim());
    const found = Object.entries(m.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase());
    if (!found || (value !== undefined && value !== '' && !found[1].includes(value))) return false;
  }
  return true;
}

const preview = (body) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 90 ? `${text.slice(0, 90)}…` : text;
};

export function MessageBrowser({ queue, counts, state, onState, onChanged }) {
  const [limit, setLimit] = useState(LIMITS[0]);
  const [filters, setFilters] = useState({ id: '', group: '', header: '' });
  const page = useApi(`/v1/queues/${q(queue)}/messages?state=${state}&limit=${limit}`);
  const reload = async () => {
    await page.reload();
    onChanged();
  };
  const all = page.data?.messages ?? [];
  const shown = all.filter((m) => matches(m, filters));
  const set = (field) => (e) => setFilters({ ...filters, [field]: e.target.value });
  const open = (m) => {
    location.hash = `#/queues/${q(queue)}/messages/${q(m.id)}?state=${m.state}`;
  };
  return html`
    <${Tabs} active=${state} onSelect=${onState}
      tabs=${STATES.map((s) => ({ id: s, label: STATE_LABEL[s], count: num(counts?.[s] ?? 0) }))} />
    <div class="filters">
      <input placeholder="Message id" data-testid="filter-id" value=${filters.id} onInput=${set('id')} />
      <input placeholder="Group key" data-testid="filter-group" value=${filters.group} onInput=${set('group')} />
      <input placeholder="Header (name or name=value)" data-testid="filter-header" value=${filters.header} onInput=${set('header')} />
      <span class="muted small">${page.loaded ? `${shown.length} of the ${num(all.length)} oldest shown` : ''}</span>
      <span class="grow"></span>
      ${can('admin') && state === 'dead' && counts?.dead > 0 && html`<button class="btn" data-testid="redrive-all" onClick=${async () => (await redrive(queue, 'all')) && reload()}>Redrive all</button>`}
      <button class="btn btn-ghost" onClick=${reload} title="Read again">Refresh</button>
    </div>
    <${ErrorNote} error=${page.error} />
    ${
      page.loaded && shown.length === 0
        ? html`<${Empty}>${all.length ? 'No message matches these filters.' : `No ${STATE_LABEL[state].toLowerCase()} messages.`}</${Empty}>`
        : html`<table class="table messages" data-testid="message-table">
      <thead><tr><th>Id</th><th>Body</th><th>Group</th><th class="num">Attempts</th><th>${state === 'dead' ? 'Died' : state === 'inFlight' ? 'Lease ends' : state === 'delayed' ? 'Visible' : 'Enqueued'}</th>${state === 'dead' && html`<th>Last error</th>`}<th></th></tr></thead>
      <tbody>${shown.map(
        (m) => html`<tr class="row-link" data-testid=${`message-row-${m.id}`} onClick=${() => open(m)}>
          <td class="mono"><a href=${`#/queues/${q(queue)}/messages/${q(m.id)}?state=${m.state}`}>${m.id}</a></td>
          <td class="mono body-preview">${preview(m.body)}</td>
          <td class="mono">${m.groupKey ?? ''}</td>
          <td class="num">${m.attempts}</td>
          <td title=${state === 'ready' ? m.enqueuedAt : m.availableAt}>${ago(state === 'ready' ? m.enqueuedAt : m.availableAt)}</td>
          ${state === 'dead' && html`<td class="error-text">${m.lastError ?? ''}</td>`}
          <td class="row-actions" onClick=${(e) => e.stopPropagation()}>${
            can('admin') &&
            html`
            ${state === 'dead' && html`<button class="btn btn-small" data-testid=${`redrive-${m.id}`} onClick=${async () => (await redrive(queue, [m.id])) && reload()}>Redrive</button>`}
            <button class="btn btn-small btn-danger-ghost" data-testid=${`delete-${m.id}`} onClick=${async () => (await deleteMessage(queue, m)) && reload()}>Delete</button>`
          }
          </td>
        </tr>`,
      )}</tbody>
    </table>`
    }
    ${all.length >= limit && limit < 1000 && html`<div class="table-foot"><button class="btn btn-ghost" onClick=${() => setLimit(1000)}>Peek 1,000</button></div>`}`;
}
