// Small shared pieces: htm bound to Preact, cards, badges, tabs, the confirm dialog and toasts.
import htm from 'htm';
import { h } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export const html = htm.bind(h);

export const Card = ({ title, actions, children, class: cls = '' }) => html`
  <section class="card ${cls}">
    ${(title || actions) && html`<header class="card-head"><h2>${title}</h2><div class="actions">${actions}</div></header>`}
    ${children}
  </section>`;

export const Stat = ({ label, value, hint, color, testid }) => html`
  <div class="stat" data-testid=${testid}>
    <div class="stat-label">${color && html`<span class="dot" style=${`background:${color}`}></span>`}${label}</div>
    <div class="stat-value">${value}</div>
    ${hint && html`<div class="stat-hint">${hint}</div>`}
  </div>`;

export const Badge = ({ kind = 'neutral', children }) => html`<span class="badge badge-${kind}">${children}</span>`;

export const Tabs = ({ tabs, active, onSelect }) => html`
  <nav class="tabs" role="tablist">
    ${tabs.map(
      (t) => html`<button role="tab" class=${t.id === active ? 'tab active' : 'tab'} aria-selected=${t.id === active}
        data-testid=${`tab-${t.id}`} onClick=${() => onSelect(t.id)}>${t.label}${
          t.count !== undefined ? html`<span class="tab-count">${t.count}</span>` : ''
        }</button>`,
    )}
  </nav>`;

export const Empty = ({ children }) => html`<div class="empty">${children}</div>`;

export const ErrorNote = ({ error }) =>
  error && html`<div class="error-note" role="alert">${String(error.message ?? error)}</div>`;

/** JSON, indented, with keys, strings, numbers and literals coloured (no HTML is built from the text). */
const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;

export function Json({ value }) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  const parts = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    const kind = m[1] ? (m[2] ? 'key' : 'str') : m[3] ? 'num' : 'lit';
    parts.push(html`<span class=${`j-${kind}`}>${m[1] ?? m[0]}</span>`);
    if (m[2]) parts.push(m[2]);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  return html`<pre class="json">${parts}</pre>`;
}

// ---- confirm dialog: `await confirm({...})` resolves true when the operator confirms.
let openDialog = () => {};
export function confirm(options) {
  return new Promise((resolve) => openDialog({ ...options, resolve }));
}

export function Dialogs() {
  const [dialog, setDialog] = useState(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    openDialog = (d) => {
      setTyped('');
      setDialog(d);
    };
  }, []);
  if (!dialog) return null;
  const close = (answer) => {
    setDialog(null);
    dialog.resolve(answer);
  };
  const blocked = dialog.typeToConfirm && typed !== dialog.typeToConfirm;
  return html`
    <div class="overlay" onClick=${(e) => e.target === e.currentTarget && close(false)}>
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title">
        <h3 id="dialog-title">${dialog.title}</h3>
        <div class="dialog-body">${dialog.body}</div>
        ${
          dialog.typeToConfirm &&
          html`<label class="field"><span>Type <code>${dialog.typeToConfirm}</code> to confirm</span>
            <input data-testid="confirm-input" value=${typed} onInput=${(e) => setTyped(e.target.value)} autofocus /></label>`
        }
        <div class="dialog-actions">
          <button class="btn" onClick=${() => close(false)}>Cancel</button>
          <button class=${dialog.danger ? 'btn btn-danger' : 'btn btn-primary'} data-testid="confirm-ok"
            disabled=${blocked} onClick=${() => close(true)}>${dialog.confirmLabel ?? 'Confirm'}</button>
        </div>
      </div>
    </div>`;
}

// ---- toasts
let pushToast = () => {};
export function toast(text, kind = 'ok') {
  pushToast({ text, kind, id: Math.random() });
}

export function Toasts() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    pushToast = (t) => {
      setItems((list) => [...list, t]);
      setTimeout(() => setItems((list) => list.filter((x) => x.id !== t.id)), 5000);
    };
  }, []);
  return html`<div class="toasts">${items.map((t) => html`<div class="toast toast-${t.kind}" role="status">${t.text}</div>`)}</div>`;
}

/** Runs an action, shows its outcome as a toast; returns the answer or undefined. */
export async function run(action, success) {
  try {
    const answer = await action();
    if (success) toast(typeof success === 'function' ? success(answer) : success);
    return answer ?? true;
  } catch (error) {
    toast(error.message, 'error');
    return undefined;
  }
}
