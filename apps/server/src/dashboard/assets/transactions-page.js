// Half messages: prepared and expired ones with their check-back history; commit or roll back by hand.
import { useState } from 'preact/hooks';
import { api, can, q } from './api.js';
import { ago, num, time } from './format.js';
import { useApi, useLive } from './live.js';
import { Badge, Card, confirm, Empty, ErrorNote, html, Json, run, Tabs } from './ui.js';

const STATES = [
  ['prepared', 'Prepared'],
  ['expired', 'Expired'],
  ['committed', 'Committed'],
  ['rolledBack', 'Rolled back'],
];

async function resolve(tx, action, reload) {
  const commit = action === 'commit';
  const ok = await confirm({
    title: `${commit ? 'Commit' : 'Roll back'} this half message?`,
    body: commit
      ? html`The message becomes visible on <b>${tx.queue ?? tx.topic}</b> exactly once, as if its producer had committed.`
      : 'The message is discarded; a later commit by the producer answers 409.',
    confirmLabel: commit ? 'Commit' : 'Roll back',
    danger: !commit,
  });
  if (
    ok &&
    (await run(
      () => api('POST', `/v1/transactions/${q(tx.transactionId)}/${action}`),
      commit ? 'Committed' : 'Rolled back',
    ))
  )
    reload();
}

function Row({ tx, reload }) {
  const [open, setOpen] = useState(false);
  return html`
    <tr class="row-link" data-testid=${`tx-row-${tx.transactionId}`} onClick=${() => setOpen(!open)}>
      <td class="mono">${tx.transactionId.slice(0, 8)}…</td>
      <td>${tx.queue ? html`<a href=${`#/queues/${q(tx.queue)}`}>${tx.queue}</a>` : html`<a href=${`#/topics/${q(tx.topic)}`}>${tx.topic}</a> <${Badge}>topic</${Badge}>`}</td>
      <td>${ago(tx.createdAt)}</td>
      <td class="num">${tx.checks} / ${tx.maxChecks}</td>
      <td>${tx.state === 'prepared' ? (tx.nextCheckAt ? ago(tx.nextCheckAt) : '–') : `${tx.resolvedBy ?? ''} ${ago(tx.resolvedAt)}`}</td>
      <td class="error-text">${tx.lastError ?? ''}</td>
      <td class="row-actions" onClick=${(e) => e.stopPropagation()}>
        ${
          tx.state === 'prepared' &&
          can('produce') &&
          html`
          <button class="btn btn-small" data-testid=${`commit-${tx.transactionId}`} onClick=${() => resolve(tx, 'commit', reload)}>Commit</button>
          <button class="btn btn-small btn-danger-ghost" data-testid=${`rollback-${tx.transactionId}`} onClick=${() => resolve(tx, 'rollback', reload)}>Roll back</button>`
        }
      </td>
    </tr>
    ${
      open &&
      html`<tr class="expanded"><td colspan="7"><div class="grid-2">
      <div><h4>Message</h4><${Json} value=${tx.message} /></div>
      <div><h4>Check-back history</h4><dl class="details">
        <dt>Check-back URL</dt><dd class="mono">${tx.checkbackUrl ?? 'none (in-process checker or producer call)'}</dd>
        <dt>Checks</dt><dd>${tx.checks} of ${tx.maxChecks}, every ${tx.checkAfterMs / 1000} s and backing off</dd>
        <dt>Last check</dt><dd>${time(tx.lastCheckAt)}</dd>
        <dt>Last error</dt><dd>${tx.lastError ?? '–'}</dd>
        <dt>${tx.state === 'prepared' ? 'Next check' : 'Resolved'}</dt><dd>${time(tx.state === 'prepared' ? tx.nextCheckAt : tx.resolvedAt)}${tx.resolvedBy ? ` by ${tx.resolvedBy}` : ''}</dd>
        <dt>Created</dt><dd>${time(tx.createdAt)}</dd>
        ${tx.messageId && html`<dt>Message id</dt><dd class="mono">${tx.messageId}</dd>`}
      </dl></div></div></td></tr>`
    }`;
}

export function TransactionsPage({ state }) {
  const live = useLive();
  const list = useApi(`/v1/transactions?state=${state}&limit=200`);
  const count = (s) => live.sample?.transactions.filter((t) => t.state === s).reduce((n, t) => n + t.count, 0) ?? 0;
  return html`
    <header class="page-head"><div><h1>Half messages</h1>
      <p class="muted">Prepared messages wait, invisible, for their producer's commit; silent ones are checked back and expire after their last check</p></div></header>
    <${Card}>
      <${Tabs} active=${state} onSelect=${(s) => {
        location.hash = `#/transactions?state=${s}`;
      }} tabs=${STATES.map(([id, label]) => ({ id, label, count: num(count(id)) }))} />
      <${ErrorNote} error=${list.error} />
      ${
        list.loaded && (list.data ?? []).length === 0
          ? html`<${Empty}>No ${STATES.find((s) => s[0] === state)?.[1].toLowerCase()} half messages.</${Empty}>`
          : html`<table class="table" data-testid="tx-table">
        <thead><tr><th>Id</th><th>For</th><th>Prepared</th><th class="num">Checks</th><th>${state === 'prepared' ? 'Next check' : 'Resolved'}</th><th>Last error</th><th></th></tr></thead>
        <tbody>${(list.data ?? []).map((tx) => html`<${Row} key=${tx.transactionId} tx=${tx} reload=${list.reload} />`)}</tbody>
      </table>`
      }
    </${Card}>`;
}
