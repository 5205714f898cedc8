// The queue's operator actions; each destructive one asks first and names what it will do.
import { useState } from 'preact/hooks';
import { api, q } from './api.js';
import { num, STATE_LABEL } from './format.js';
import { confirm, html, run, toast } from './ui.js';

export async function redrive(queue, ids) {
  const all = ids === 'all';
  const ok = await confirm({
    title: all ? 'Redrive every dead letter?' : `Redrive message ${ids[0]}?`,
    body: all
      ? html`Every dead letter of <b>${queue}</b> goes back to ready, with its attempts reset.`
      : 'The message goes back to ready, with its attempts reset.',
    confirmLabel: 'Redrive',
  });
  if (!ok) return false;
  return run(
    () => api('POST', `/v1/queues/${q(queue)}/redrive`, all ? { all: true } : { ids }),
    (a) => `Redrove ${a.redriven} message${a.redriven === 1 ? '' : 's'}`,
  );
}

export async function deleteMessage(queue, message) {
  const inFlight = message.state === 'inFlight';
  const ok = await confirm({
    title: `Delete message ${message.id}?`,
    body: inFlight
      ? html`It is <b>in flight</b>: a consumer holds it now and its ack will find nothing. This cannot be undone.`
      : 'The message is removed for good. This cannot be undone.',
    confirmLabel: 'Delete',
    danger: true,
  });
  if (!ok) return false;
  return run(
    () => api('DELETE', `/v1/queues/${q(queue)}/messages/${q(message.id)}${inFlight ? '?force=true' : ''}`),
    `Deleted message ${message.id}`,
  );
}

export async function purge(queue, counts) {
  const chosen = new Set(['ready', 'delayed', 'dead'].filter((s) => counts[s] > 0));
  if (chosen.size === 0) chosen.add('ready');
  const Choice = () => {
    const [, setTick] = useState(0);
    return html`<div class="checks">${['ready', 'delayed', 'dead'].map(
      (s) =>
        html`<label><input type="checkbox" data-testid=${`purge-${s}`} checked=${chosen.has(s)} onChange=${(e) => {
          if (e.target.checked) chosen.add(s);
          else chosen.delete(s);
          setTick((n) => n + 1);
        }} /> ${STATE_LABEL[s]} <span class="muted">(${num(counts[s])})</span></label>`,
    )}<p class="muted small">In-flight messages are never purged.</p></div>`;
  };
  const ok = await confirm({
    title: `Purge ${queue}?`,
    body: html`<p>Delete every message in the chosen states. This cannot be undone.</p><${Choice} />`,
    typeToConfirm: queue,
    confirmLabel: 'Purge',
    danger: true,
  });
  if (!ok || chosen.size === 0) return false;
  return run(
    () => api('POST', `/v1/queues/${q(queue)}/purge`, { states: [...chosen] }),
    (a) => `Purged ${a.purged} message${a.purged === 1 ? '' : 's'}`,
  );
}

export async function pauseOrResume(queue, paused) {
  if (!paused) {
    const ok = await confirm({
      title: `Pause ${queue}?`,
      body: 'Consumers get nothing until it is resumed; sends still land.',
      confirmLabel: 'Pause',
    });
    if (!ok) return false;
  }
  return run(
    () => api('POST', `/v1/queues/${q(queue)}/${paused ? 'resume' : 'pause'}`),
    paused ? `Resumed ${queue}` : `Paused ${queue}`,
  );
}

/** POST move, then follow its task until it is done; `onProgress` gets {state, moved, total}. */
export async function moveBack(queue, onProgress) {
  let to = '';
  const ok = await confirm({
    title: `Move the dead letters of ${queue}?`,
    body: html`<p>Each message goes back to the queue it was dead-lettered from, or to the queue you name.</p>
      <label class="field">Destination (optional)<input data-testid="move-to" placeholder="back where each came from" onInput=${(
        e,
      ) => {
        to = e.target.value.trim();
      }} /></label>`,
    confirmLabel: 'Move',
  });
  if (!ok) return false;
  const started = await run(() => api('POST', `/v1/queues/${q(queue)}/move`, to ? { to } : {}));
  if (!started?.taskId) return false;
  for (;;) {
    const task = await api('GET', `/v1/tasks/${q(started.taskId)}`).catch((error) => ({
      state: 'failed',
      lastError: error.message,
    }));
    onProgress(task);
    if (task.state !== 'running') {
      if (task.state === 'completed') toast(`Moved ${task.moved} of ${task.total}`);
      else toast(`Move ${task.state}: ${task.lastError ?? 'see GET /v1/tasks'}`, 'error');
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
