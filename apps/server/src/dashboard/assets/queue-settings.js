// A queue's settings, edited in place (PATCH /v1/queues/:queue sends only what changed).
import { useState } from 'preact/hooks';
import { api, can, q } from './api.js';
import { time } from './format.js';
import { html, run } from './ui.js';

const FIELDS = [
  ['maxAttempts', 'Max attempts', 'number', 'Deliveries before a message dies'],
  ['visibilityTimeoutMs', 'Visibility timeout (ms)', 'number', 'Lease of a received message'],
  ['deadLetterQueue', 'Dead-letter queue', 'text', 'Where dead messages go (empty: kept as dead letters here)'],
  ['retentionMs', 'Retention of acked messages (ms)', 'number', 'For replay; empty: not kept'],
  ['backoff.initialMs', 'Retry backoff, first (ms)', 'number', 'Doubles each attempt, with jitter'],
  ['backoff.maxMs', 'Retry backoff, at most (ms)', 'number', ''],
  ['messageTtlMs', 'Message TTL (ms)', 'number', 'Undelivered this long: expires'],
  ['maxLength', 'Max length', 'number', 'Messages waiting at most'],
  ['overflow', 'When full', 'select:reject,dropOldest', 'Refuse new sends, or drop the oldest'],
  ['maxMessageBytes', 'Max message size (bytes)', 'number', ''],
  ['expiredTo', 'Expired messages', 'select:deadLetter,drop', 'Where a message past its TTL goes'],
];

const read = (queue, path) => path.split('.').reduce((o, k) => o?.[k], queue);

export function QueueSettings({ queue, onSaved }) {
  const [draft, setDraft] = useState({});
  const [saving, setSaving] = useState(false);
  const changed = Object.keys(draft).length > 0;
  const editable = can('admin');
  const value = (path) => (path in draft ? draft[path] : (read(queue, path) ?? ''));
  const save = async (e) => {
    e.preventDefault();
    const body = {};
    for (const [path, raw] of Object.entries(draft)) {
      const type = FIELDS.find((f) => f[0] === path)[2];
      const v = raw === '' ? null : type === 'number' ? Number(raw) : raw;
      if (path.startsWith('backoff.')) body.backoff = { ...queue.backoff, ...body.backoff, [path.slice(8)]: v };
      else body[path] = v;
    }
    setSaving(true);
    const answer = await run(() => api('PATCH', `/v1/queues/${q(queue.name)}`, body), 'Settings saved');
    setSaving(false);
    if (answer) {
      setDraft({});
      onSaved(answer);
    }
  };
  return html`<form class="settings" onSubmit=${save} data-testid="settings-form">
    <div class="settings-grid">
      ${FIELDS.filter(
        ([path]) =>
          read(queue, path) !== undefined ||
          ['messageTtlMs', 'maxLength', 'overflow', 'maxMessageBytes', 'expiredTo'].includes(path),
      ).map(
        ([path, label, type, hint]) => html`<label class="field">${label}
          ${
            type.startsWith('select:')
              ? html`<select name=${path} disabled=${!editable} value=${value(path) || type.slice(7).split(',')[0]} onChange=${(e) => setDraft({ ...draft, [path]: e.target.value })}>
                  ${type
                    .slice(7)
                    .split(',')
                    .map((o) => html`<option value=${o}>${o}</option>`)}</select>`
              : html`<input name=${path} disabled=${!editable} data-testid=${`setting-${path}`} type=${type} value=${value(path)} onInput=${(e) => setDraft({ ...draft, [path]: e.target.value })} />`
          }
          ${hint && html`<span class="hint">${hint}</span>`}</label>`,
      )}
      <div class="field readonly">FIFO<span>${queue.fifo ? 'yes: one in flight per group key' : 'no'}</span></div>
      <div class="field readonly">Created<span>${time(queue.createdAt)}</span></div>
    </div>
    ${
      editable
        ? html`<div class="form-actions">
      <button class="btn btn-primary" data-testid="settings-save" disabled=${!changed || saving}>Save changes</button>
      ${changed && html`<button type="button" class="btn btn-ghost" onClick=${() => setDraft({})}>Discard</button>`}
      <span class="muted small">Messages already in flight keep their lease.</span>
    </div>`
        : html`<p class="muted small">Changing settings needs an admin key.</p>`
    }
  </form>`;
}
