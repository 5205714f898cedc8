// Recurring messages: when each fires next, pause/resume, delete.
import { api, can, q } from './api.js';
import { ago, duration, nextTick, time } from './format.js';
import { useApi } from './live.js';
import { Badge, Card, confirm, Empty, ErrorNote, html, run } from './ui.js';

export function SchedulesPage() {
  const list = useApi('/v1/schedules');
  const act = async (s, action) => {
    if (action === 'delete') {
      const ok = await confirm({
        title: `Delete schedule ${s.name}?`,
        body: 'No further ticks are enqueued. Messages already sent stay.',
        confirmLabel: 'Delete',
        danger: true,
      });
      if (!ok) return;
    }
    const path = `/v1/schedules/${q(s.name)}${action === 'delete' ? '' : `/${action}`}`;
    if (await run(() => api(action === 'delete' ? 'DELETE' : 'POST', path), `${s.name}: ${action}d`)) list.reload();
  };
  const missing = list.error?.status === 404;
  return html`
    <header class="page-head"><div><h1>Schedules</h1><p class="muted">Recurring messages: each tick enqueued exactly once, however many service instances run</p></div></header>
    <${Card}>
      ${missing ? html`<${Empty}>This server has no schedules yet (GET /v1/schedules answered 404).</${Empty}>` : html`<${ErrorNote} error=${list.error} />`}
      ${
        !missing && list.loaded && (list.data ?? []).length === 0
          ? html`<${Empty}>No schedules. Create one with <code>POST /v1/schedules</code>.</${Empty}>`
          : !missing &&
            html`<table class="table" data-testid="schedule-table">
        <thead><tr><th>Name</th><th>Sends to</th><th>Every</th><th>Next</th><th>Last</th><th>Missed ticks</th><th></th></tr></thead>
        <tbody>${(list.data ?? []).map(
          (s) => html`<tr data-testid=${`schedule-row-${s.name}`}>
            <td class="name">${s.name} ${s.paused && html`<${Badge} kind="warn">paused</${Badge}>`}</td>
            <td>${s.queue ? html`<a href=${`#/queues/${q(s.queue)}`}>${s.queue}</a>` : html`<a href=${`#/topics/${q(s.topic)}`}>${s.topic}</a>`}</td>
            <td class="mono">${s.cron ? `${s.cron} (${s.timezone ?? 'UTC'})` : duration(s.everyMs)}</td>
            <td title=${time(s.nextAt)}>${s.paused ? '–' : nextTick(s.nextAt)}</td>
            <td title=${time(s.lastAt)}>${ago(s.lastAt)}</td>
            <td>${s.missed ?? 'skip'}</td>
            <td class="row-actions">${
              can('admin') &&
              html`
              <button class="btn btn-small" data-testid=${`schedule-${s.paused ? 'resume' : 'pause'}-${s.name}`} onClick=${() => act(s, s.paused ? 'resume' : 'pause')}>${s.paused ? 'Resume' : 'Pause'}</button>
              <button class="btn btn-small btn-danger-ghost" data-testid=${`schedule-delete-${s.name}`} onClick=${() => act(s, 'delete')}>Delete</button>`
            }
            </td>
          </tr>`,
        )}</tbody></table>`
      }
    </${Card}>`;
}
