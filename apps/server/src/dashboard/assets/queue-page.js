// One queue: live depth, its hour of history, the message browser, settings and the operator actions.
import { useState } from 'preact/hooks';
import { can } from './api.js';
import { Chart } from './chart.js';
import { age, COLORS, num } from './format.js';
import { useLive, useQueueHistory } from './live.js';
import { MessageBrowser } from './message-browser.js';
import { moveBack, pauseOrResume, purge } from './queue-actions.js';
import { QueueSettings } from './queue-settings.js';
import { Badge, Card, Empty, html, Stat, Tabs } from './ui.js';

export function QueuePage({ name, query }) {
  const state = useLive();
  const points = useQueueHistory(name);
  const tab = query.get('tab') ?? 'messages';
  const setTab = (t) => {
    location.hash = `#/queues/${encodeURIComponent(name)}?tab=${t}`;
  };
  const [task, setTask] = useState(null);
  const [version, setVersion] = useState(0);
  // What an action just answered (PATCH, pause, resume) shows until a newer sample has it too.
  const [answer, setAnswer] = useState(null);
  const messageState = query.get('state') ?? 'ready';
  if (!state.catalog) return html`<div class="skeleton" />`;
  const settings = state.catalog.queues.find((x) => x.name === name);
  const depth = state.sample?.queues.find((x) => x.name === name);
  if (!settings) return html`<${Empty}>No queue named <b>${name}</b> that this key may see.</${Empty}>`;
  const fresh = answer && answer.at > (state.receivedAt ?? 0) ? answer.queue : {};
  const x = { ...settings, ...(depth ?? {}), ...fresh };
  const paused = x.paused ?? false;
  const refresh = (queue) => {
    if (queue?.name === name) setAnswer({ at: Date.now(), queue });
    setVersion((v) => v + 1);
  };
  const act = async (action) => {
    const result = await action();
    if (result) refresh(result);
  };
  return html`
    <header class="page-head">
      <div><div class="crumbs"><a href="#/queues">Queues</a> /</div>
        <h1>${name} ${paused && html`<${Badge} kind="warn">paused</${Badge}>`} ${x.fifo && html`<${Badge} kind="info">FIFO</${Badge}>`}</h1>
        <p class="muted">max ${x.maxAttempts} attempts · lease ${x.visibilityTimeoutMs / 1000} s${x.deadLetterQueue ? ` · dead letters → ${x.deadLetterQueue}` : ''}</p></div>
      ${
        can('admin') &&
        html`<div class="head-actions">
        <button class="btn" data-testid=${paused ? 'resume' : 'pause'} onClick=${() => act(() => pauseOrResume(name, paused))}>${paused ? 'Resume' : 'Pause'}</button>
        <button class="btn" data-testid="move" onClick=${() => act(() => moveBack(name, setTask))}>Move dead letters…</button>
        <button class="btn btn-danger-ghost" data-testid="purge" onClick=${() => act(() => purge(name, x))}>Purge…</button>
      </div>`
      }
    </header>
    ${
      task &&
      html`<div class="task" data-testid="task">Move ${task.state}: ${num(task.moved ?? 0)} of ${num(task.total ?? 0)}
      <div class="progress"><i style=${`width:${task.total ? (100 * task.moved) / task.total : 100}%`}></i></div></div>`
    }
    <div class="stats">
      <${Stat} label="Ready" color=${COLORS.ready} value=${num(x.ready)} testid="queue-ready" />
      <${Stat} label="In flight" color=${COLORS.inFlight} value=${num(x.inFlight)} />
      <${Stat} label="Delayed" color=${COLORS.delayed} value=${num(x.delayed)} />
      <${Stat} label="Dead letters" color=${COLORS.dead} value=${num(x.dead)} testid="queue-dead" />
      <${Stat} label="Oldest ready" value=${age(x.oldestReadyAgeMs)} />
    </div>
    <${Card} title="Depth, last hour">
      <${Chart} points=${points} format=${num} height=${150} series=${[
        { key: 'ready', label: 'ready', color: COLORS.ready },
        { key: 'inFlight', label: 'in flight', color: COLORS.inFlight },
        { key: 'delayed', label: 'delayed', color: COLORS.delayed },
        { key: 'dead', label: 'dead', color: COLORS.dead },
      ]} />
    </${Card}>
    <${Card}>
      <${Tabs} active=${tab} onSelect=${setTab} tabs=${[{ id: 'messages', label: 'Messages' }, { id: 'settings', label: 'Settings' }]} />
      ${
        tab === 'messages'
          ? html`<${MessageBrowser} key=${version} queue=${name} counts=${x} state=${messageState} onChanged=${refresh}
              onState=${(s) => {
                location.hash = `#/queues/${encodeURIComponent(name)}?state=${s}`;
              }} />`
          : html`<${QueueSettings} queue=${x} onSaved=${refresh} />`
      }
    </${Card}>`;
}
