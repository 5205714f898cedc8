// Topics: their consumer groups with live depth, and replay of a group from a point in time.
import { useState } from 'preact/hooks';
import { api, q } from './api.js';
import { age, duration, num, time } from './format.js';
import { useApi, useLive } from './live.js';
import { Badge, Card, confirm, Empty, ErrorNote, html, run } from './ui.js';

function liveGroup(state, s) {
  return { ...s, ...(state.sample?.queues.find((x) => x.name === s.queue) ?? {}) };
}

export function TopicList({ compact }) {
  const state = useLive();
  const topics = useApi('/v1/topics');
  if (!topics.loaded) return html`<div class="skeleton" />`;
  if (topics.error) return html`<${ErrorNote} error=${topics.error} />`;
  if (topics.data.length === 0) return html`<${Empty}>No topics yet.</${Empty}>`;
  return html`<ul class="topic-list" data-testid="topic-list">
    ${topics.data.map(
      (t) => html`<li>
        <a class="name" href=${`#/topics/${q(t.name)}`}>${t.name}</a>
        <span class="muted">${t.subscriptions.length} group${t.subscriptions.length === 1 ? '' : 's'}</span>
        ${!compact && t.retentionMs && html`<span class="muted"> · replayable ${duration(t.retentionMs)}</span>`}
        <div class="chips">${t.subscriptions.map((raw) => {
          const s = liveGroup(state, raw);
          return html`<a class="chip" href=${`#/queues/${q(s.queue)}`}>${s.group}<b>${num(s.ready)}</b>${s.dead > 0 && html`<b class="danger">${num(s.dead)}</b>`}</a>`;
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

function Replay({ topic, group, onDone }) {
  const [from, setFrom] = useState(() => new Date(Date.now() - 3_600_000).toISOString().slice(0, 16));
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
    onDone();
  };
  return html`<div class="inline-form">
    <input type="datetime-local" value=${from} data-testid=${`replay-from-${group}`} onInput=${(e) => setFrom(e.target.value)} />
    <button class="btn" data-testid=${`replay-${group}`} onClick=${go}>Replay</button>
  </div>`;
}

export function TopicPage({ name }) {
  const state = useLive();
  const topic = useApi(`/v1/topics/${q(name)}`);
  if (!topic.loaded) return html`<div class="skeleton" />`;
  if (topic.error) return html`<${ErrorNote} error=${topic.error} />`;
  const t = topic.data;
  return html`
    <header class="page-head"><div><div class="crumbs"><a href="#/topics">Topics</a> /</div><h1>${t.name}</h1>
      <p class="muted">Created ${time(t.createdAt)} · ${t.retentionMs ? `published messages kept ${duration(t.retentionMs)} for replay` : 'no retention: replay finds nothing'}</p></div></header>
    <${Card} title="Consumer groups">
      ${
        t.subscriptions.length === 0
          ? html`<${Empty}>No groups subscribed.</${Empty}>`
          : html`
      <table class="table" data-testid="group-table">
        <thead><tr><th>Group</th><th>Queue</th><th>Tags</th><th class="num">Ready</th><th class="num">In flight</th><th class="num">Dead</th><th class="num">Oldest ready</th><th>Replay from</th></tr></thead>
        <tbody>${t.subscriptions.map((raw) => {
          const s = liveGroup(state, raw);
          return html`<tr data-testid=${`group-row-${s.group}`}>
            <td class="name">${s.group}</td>
            <td><a href=${`#/queues/${q(s.queue)}`}>${s.queue}</a></td>
            <td>${s.tags ? s.tags.map((tag) => html`<${Badge} kind="info">${tag}</${Badge}> `) : html`<span class="muted">all</span>`}</td>
            <td class="num">${num(s.ready)}</td><td class="num">${num(s.inFlight)}</td>
            <td class="num ${s.dead ? 'danger' : ''}">${num(s.dead)}</td><td class="num">${age(s.oldestReadyAgeMs)}</td>
            <td><${Replay} topic=${t.name} group=${s.group} onDone=${topic.reload} /></td>
          </tr>`;
        })}</tbody>
      </table>`
      }
    </${Card}>`;
}
