// The queue table (overview and the Queues page): live depth per queue, settings read once.

import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { age, COLORS, num } from './format.js';
import { useLive } from './live.js';
import { Badge, Card, Empty, html } from './ui.js';

const Depth = ({ value, color, testid }) =>
  html`<td class="num" data-testid=${testid}>${value > 0 ? html`<span class="depth"><i style=${`background:${color}`}></i>${num(value)}</span>` : html`<span class="zero">0</span>`}</td>`;

/** Waiting messages over the last hour per queue, read again every 30 s (from the service's memory). */
export function useSparklines() {
  const [lines, setLines] = useState({ queues: {} });
  useEffect(() => {
    const load = () => api('GET', '/v1/dashboard/sparklines').then(setLines, () => {});
    load();
    const timer = setInterval(load, 30_000);
    return () => clearInterval(timer);
  }, []);
  return lines;
}

function Sparkline({ values }) {
  const points = (values ?? []).map((v, i) => [i, v]).filter(([, v]) => v !== null);
  if (points.length < 2) return html`<svg class="spark" width="100" height="24" />`;
  const max = Math.max(1, ...points.map(([, v]) => v));
  const last = (values?.length ?? 60) - 1;
  const xy = points.map(([i, v]) => `${((i / last) * 98 + 1).toFixed(1)},${(22 - (v / max) * 20).toFixed(1)}`);
  return html`<svg class="spark" width="100" height="24" viewBox="0 0 100 24">
    <polyline points=${`${xy[0].split(',')[0]},23 ${xy.join(' ')} ${xy.at(-1).split(',')[0]},23`} fill="#3b82f61a" stroke="none" />
    <polyline points=${xy.join(' ')} fill="none" stroke="#3b82f6" stroke-width="1.5" stroke-linejoin="round" />
  </svg>`;
}

export function QueueTable({ limit }) {
  const state = useLive();
  const lines = useSparklines();
  const catalog = state.catalog;
  const groupOf = new Map(
    (catalog?.topics ?? []).flatMap((t) => t.groups.map((g) => [g.queue, `${t.name} › ${g.group}`])),
  );
  const byName = new Map((catalog?.queues ?? []).map((x) => [x.name, x]));
  const queues = state.sample?.queues ?? [];
  const shown = limit ? [...queues].sort((a, b) => b.ready + b.dead - (a.ready + a.dead)).slice(0, limit) : queues;
  if (!state.sample) return html`<div class="skeleton" />`;
  if (queues.length === 0)
    return html`<${Empty}>No queues yet. Create one with <code>POST /v1/queues</code>.</${Empty}>`;
  return html`
    <table class="table" data-testid="queue-table">
      <thead><tr><th>Queue</th><th>Last hour</th><th class="num">Ready</th><th class="num">In flight</th><th class="num">Delayed</th><th class="num">Dead</th><th class="num">Oldest ready</th><th></th></tr></thead>
      <tbody>
        ${shown.map((x) => {
          const s = byName.get(x.name);
          return html`<tr class="row-link" data-testid=${`queue-row-${x.name}`} onClick=${() => {
            location.hash = `#/queues/${encodeURIComponent(x.name)}`;
          }}>
            <td><a href=${`#/queues/${encodeURIComponent(x.name)}`} class="name">${x.name}</a>
              ${groupOf.has(x.name) && html`<div class="sub">${groupOf.get(x.name)}</div>`}</td>
            <td><${Sparkline} values=${lines.queues[x.name]} /></td>
            <${Depth} value=${x.ready} color=${COLORS.ready} testid="ready" />
            <${Depth} value=${x.inFlight} color=${COLORS.inFlight} />
            <${Depth} value=${x.delayed} color=${COLORS.delayed} />
            <${Depth} value=${x.dead} color=${COLORS.dead} testid="dead" />
            <td class="num ${x.oldestReadyAgeMs > 60_000 ? 'warn' : ''}">${age(x.oldestReadyAgeMs)}</td>
            <td class="tags">
              ${x.paused && html`<${Badge} kind="warn">paused</${Badge}>`}
              ${s?.fifo && html`<${Badge} kind="info">FIFO</${Badge}>`}
              ${s?.deadLetterQueue && html`<${Badge}>DLQ → ${s.deadLetterQueue}</${Badge}>`}
            </td>
          </tr>`;
        })}
      </tbody>
    </table>
    ${limit && queues.length > limit && html`<div class="table-foot"><a href="#/queues">All ${queues.length} queues →</a></div>`}`;
}

export function QueuesPage() {
  const state = useLive();
  const count = state.sample?.queues.length;
  return html`
    <header class="page-head"><div><h1>Queues</h1><p class="muted">${count ?? ''} queues · depth updates every ${state.sampleMs / 1000} s, pushed by the server</p></div></header>
    <${Card}><${QueueTable} /></${Card}>`;
}
