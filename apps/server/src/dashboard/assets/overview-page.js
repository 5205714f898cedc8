// Overview: totals, the last hour's charts, every queue, topics, half messages and schedules.
import { Chart } from './chart.js';
import { age, COLORS, nextTick, num, rate } from './format.js';
import { useApi, useLive } from './live.js';
import { QueueTable } from './queues-page.js';
import { TopicList } from './topic-page.js';
import { Card, Empty, html, Stat } from './ui.js';

const TX_STATES = [
  ['prepared', 'Prepared', 'info'],
  ['committed', 'Committed', 'ok'],
  ['rolledBack', 'Rolled back', 'neutral'],
  ['expired', 'Expired', 'danger'],
];

function HalfMessages({ transactions }) {
  const count = (state) => transactions.filter((t) => t.state === state).reduce((n, t) => n + t.count, 0);
  return html`<div class="mini-stats">
    ${TX_STATES.map(
      ([
        state,
        label,
        kind,
      ]) => html`<a class=${`mini mini-${kind}`} href=${`#/transactions?state=${state}`} data-testid=${`tx-count-${state}`}>
      <b>${num(count(state))}</b><span>${label}</span></a>`,
    )}
  </div>`;
}

function Schedules() {
  const schedules = useApi('/v1/schedules');
  if (schedules.error?.status === 404) return html`<${Empty}>Schedules arrive with a newer server.</${Empty}>`;
  const list = schedules.data ?? [];
  if (schedules.loaded && list.length === 0) return html`<${Empty}>No schedules.</${Empty}>`;
  return html`<ul class="plain-list">${list.slice(0, 6).map(
    (s) => html`<li><a href="#/schedules">${s.name}</a>
    <span class="muted">${s.paused ? 'paused' : `next ${nextTick(s.nextAt)}`}</span></li>`,
  )}</ul>`;
}

export function OverviewPage() {
  const state = useLive();
  const sample = state.sample;
  const total = sample?.total;
  const last = state.points.at(-1);
  const hasRates = state.points.some((p) => p.sent !== undefined);
  const ratesShown = sample?.ratesShown !== false;
  return html`
    <header class="page-head"><div><h1>Overview</h1>
      <p class="muted">Every queue, topic and half message this key may see · sampled every ${state.sampleMs / 1000} s by the service, the last hour kept</p></div></header>
    ${sample?.error && html`<div class="error-note">The service cannot read the database right now: ${sample.error}</div>`}
    <div class="stats">
      <${Stat} label="Ready" color=${COLORS.ready} value=${num(total?.ready)} testid="total-ready" />
      <${Stat} label="In flight" color=${COLORS.inFlight} value=${num(total?.inFlight)} />
      <${Stat} label="Delayed" color=${COLORS.delayed} value=${num(total?.delayed)} />
      <${Stat} label="Dead letters" color=${COLORS.dead} value=${num(total?.dead)} testid="total-dead" />
      <${Stat} label="Oldest ready" value=${age(total?.oldestReadyAgeMs)} />
      <${Stat} label="Throughput" value=${hasRates ? html`${rate(last?.sent)}<small> sent/s</small>` : '–'}
        hint=${hasRates ? `${rate(last?.acked)} acked/s · ${rate(last?.deadLettered)} dead/s` : ratesShown ? 'from the next sample on' : 'needs a key for every queue'} />
    </div>
    <div class="grid-2">
      <${Card} title="Messages per second">
        ${
          hasRates || !sample
            ? html`<${Chart} testid="chart-rates" points=${state.points} format=${rate} series=${[
                { key: 'sent', label: 'sent', color: COLORS.sent },
                { key: 'acked', label: 'acked', color: COLORS.acked },
                { key: 'deadLettered', label: 'dead-lettered', color: COLORS.deadLettered },
              ]} />`
            : html`<${Empty}>Database-wide rates are shown to keys that see every queue.</${Empty}>`
        }
      </${Card}>
      <${Card} title="Depth">
        <${Chart} testid="chart-depth" points=${state.points} format=${num} series=${[
          { key: 'ready', label: 'ready', color: COLORS.ready },
          { key: 'inFlight', label: 'in flight', color: COLORS.inFlight },
          { key: 'delayed', label: 'delayed', color: COLORS.delayed },
          { key: 'dead', label: 'dead', color: COLORS.dead },
        ]} />
      </${Card}>
    </div>
    <${Card} title="Queues" actions=${html`<a href="#/queues">All queues →</a>`}><${QueueTable} limit=${12} /></${Card}>
    <div class="grid-3">
      <${Card} title="Topics" actions=${html`<a href="#/topics">All →</a>`}><${TopicList} compact=${true} /></${Card}>
      <${Card} title="Half messages" actions=${html`<a href="#/transactions">Open →</a>`}><${HalfMessages} transactions=${sample?.transactions ?? []} /></${Card}>
      <${Card} title="Schedules" actions=${html`<a href="#/schedules">Open →</a>`}><${Schedules} /></${Card}>
    </div>
    <${Card} title="Oldest ready message">
      <${Chart} points=${state.points.map((p) => ({ at: p.at, age: (p.oldestReadyAgeMs ?? 0) / 1000 }))} height=${120}
        format=${(v) => age(v * 1000)} series=${[{ key: 'age', label: 'age', color: COLORS.age }]} />
    </${Card}>`;
}
