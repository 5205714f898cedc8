// Topics: their consumer groups with live depth, and replay of a group from a point in time.
import { useState } from 'preact/hooks';
import { api, can, q } from './api.js';
import { Chart } from './chart.js';
import { age, duration, num, time } from './format.js';
import { useLive } from './live.js';
import { useSparklines } from './queues-page.js';
import { Badge, Card, confirm, Empty, html, run } from './ui.js';

/** A group with its queue's depth from the latest sample. */
function withDepth(state, g) {
  return {
    ready: 0,
    inFlight: 0,
    dead: 0,
    oldestReadyAgeMs: null,
    ...g,
    ...(state.sample?.queues.find((x) => x.name === g.queue) ?? {}),
  };
}

export function TopicList({ compact }) {
  const state = useLive();
  const topics = state.catalog?.topics;
  if (!topics) return html`<div class="skeleton" />`;
  if (topics.length === 0) return html`<${Empty}>No topics yet.</${Empty}>`;
  return html`<ul class="topic-list" data-testid="topic-list">
    ${topics.map(
      (t) => html`<li>
        <a class="name" href=${`#/topics/${q(t.name)}`}>${t.name}</a>
        <span class="muted">${t.groups.length} group${t.groups.length === 1 ? '' : 's'}</span>
        ${!compact && t.retentionMs && html`<span class="muted"> · replayable ${duration(t.retentionMs)}</span>`}
        <div class="chips">${t.groups.map((raw) => {
          const g = withDepth(state, raw);
          return html`<a class="chip" href=${`#/queues/${q(g.queue)}`}>${g.group}<b>${num(g.ready)}</b>${g.dead > 0 && html`<b class="danger">${num(g.dead)}</b>`}</a>`;
        })}</div>
      </li>`,
    )}
  </ul>`;
}

export function TopicsPage() {
  return html`
    <header class="page-head"><div><h1>Topics</h1><p class="muted">Pub/sub: every group gets every message; consumers in a group compete</p></div></header>
    <${Card}><${TopicList} /></${Card}>`;
}

function Replay({ topic, group }) {
  const [from, setFrom] = useState(() => {
    const d = new Date(Date.now() - 3_600_000);
    return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  });
  const go = async () => {
    const when = new Date(from);
    const ok = await confirm({
      title: `Replay ${group}?`,
      body: html`Every retained message of <b>${topic}</b> published at or after <b>${when.toLocaleString('en-GB')}</b> is delivered to group <b>${group}</b> again.`,
      confirmLabel: 'Replay',
    });
    if (!ok) return;
    await run(
      () => api('POST', `/v1/topics/${q(topic)}/subscriptions/${q(group)}/replay`, { from: when.toISOString() }),
      (a) => `Replayed ${a.replayed} message${a.replayed === 1 ? '' : 's'} to ${group}`,
    );
  };
  return html`<div class="inline-form">
    <input type="datetime-local" value=${from} data-testid=${`replay-from-${group}`} onInput=${(e) => setFrom(e.target.value)} />
    <button class="btn" data-testid=${`replay-${group}`} onClick=${go}>Replay</button>
  </div>`;
}

const PALETTE = ['#3b82f6', '#10b981', '#f59e0b', '#8b5cf6', '#ef4444', '#0ea5e9', '#ec4899', '#64748b'];

/** Waiting messages per group over the kept hour, from the sparkline buckets. */
function GroupChart({ groups }) {
  const lines = useSparklines();
  const n = Object.values(lines.queues)[0]?.length ?? 0;
  const points = Array.from({ length: n }, (_, i) => {
    const point = { at: lines.from + ((lines.to - lines.from) * (i + 1)) / n };
    for (const g of groups) point[g.group] = lines.queues[g.queue]?.[i] ?? null;
    return point;
  }).filter((p) => groups.some((g) => p[g.group] !== null));
  return html`<${Chart} testid="chart-groups" points=${points} format=${num} height=${150}
    series=${groups.map((g, i) => ({ key: g.group, label: g.group, color: PALETTE[i % PALETTE.length] }))} />`;
}

export function TopicPage({ name }) {
  const state = useLive();
  if (!state.catalog) return html`<div class="skeleton" />`;
  const t = state.catalog.topics.find((x) => x.name === name);
  if (!t) return html`<${Empty}>No topic named <b>${name}</b> that this key may see.</${Empty}>`;
  return html`
    <header class="page-head"><div><div class="crumbs"><a href="#/topics">Topics</a> /</div><h1>${t.name}</h1>
      <p class="muted">Created ${time(t.createdAt)} · ${t.retentionMs ? `published messages kept ${duration(t.retentionMs)} for replay` : 'no retention: replay finds nothing'}</p></div></header>
    ${t.groups.length > 0 && html`<${Card} title="Waiting per group, last hour"><${GroupChart} groups=${t.groups} /></${Card}>`}
    <${Card} title="Consumer groups">
      ${
        t.groups.length === 0
          ? html`<${Empty}>No groups subscribed.</${Empty}>`
          : html`
      <table class="table" data-testid="group-table">
        <thead><tr><th>Group</th><th>Queue</th><th>Tags</th><th class="num">Ready</th><th class="num">In flight</th><th class="num">Dead</th><th class="num">Oldest ready</th>${can('admin') && html`<th>Replay from</th>`}</tr></thead>
        <tbody>${t.groups.map((raw) => {
          const g = withDepth(state, raw);
          return html`<tr data-testid=${`group-row-${g.group}`}>
            <td class="name">${g.group}</td>
            <td><a href=${`#/queues/${q(g.queue)}`}>${g.queue}</a></td>
            <td>${g.tags ? g.tags.map((tag) => html`<${Badge} kind="info">${tag}</${Badge}> `) : html`<span class="muted">all</span>`}</td>
            <td class="num">${num(g.ready)}</td><td class="num">${num(g.inFlight)}</td>
            <td class="num ${g.dead ? 'danger' : ''}">${num(g.dead)}</td><td class="num">${age(g.oldestReadyAgeMs)}</td>
            ${can('admin') && html`<td><${Replay} topic=${t.name} group=${g.group} /></td>`}
          </tr>`;
        })}</tbody>
      </table>`
      }
    </${Card}>`;
}
