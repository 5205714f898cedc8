// The dashboard: sign in with an API key, then pages driven by the URL's hash.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { loadMe, saveKey, session } from './api.js';
import { loadHistory, startLive, useLive } from './live.js';
import { MessagePage } from './message-page.js';
import { OverviewPage } from './overview-page.js';
import { QueuePage } from './queue-page.js';
import { QueuesPage } from './queues-page.js';
import { SchedulesPage } from './schedules-page.js';
import { TopicPage, TopicsPage } from './topic-page.js';
import { TransactionsPage } from './transactions-page.js';
import { Dialogs, html, Toasts } from './ui.js';

function parseRoute() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, query: new URLSearchParams(query) };
}

function useRoute() {
  const [route, setRoute] = useState(parseRoute);
  useEffect(() => {
    const onChange = () => setRoute(parseRoute());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

function Page({ route }) {
  const [section, name, sub, id] = route.parts;
  if (section === 'queues' && name && sub === 'messages' && id)
    return html`<${MessagePage} queue=${name} id=${id} state=${route.query.get('state')} />`;
  if (section === 'queues' && name) return html`<${QueuePage} name=${name} query=${route.query} />`;
  if (section === 'queues') return html`<${QueuesPage} />`;
  if (section === 'topics' && name) return html`<${TopicPage} name=${name} />`;
  if (section === 'topics') return html`<${TopicsPage} />`;
  if (section === 'transactions') return html`<${TransactionsPage} state=${route.query.get('state') ?? 'prepared'} />`;
  if (section === 'schedules') return html`<${SchedulesPage} />`;
  return html`<${OverviewPage} />`;
}

const Logo = () =>
  html`<svg class="logo" viewBox="0 0 32 32" aria-hidden="true"><rect x="3" y="7" width="26" height="19" rx="4" fill="#6366f1"/><path d="M4 10l12 8 12-8" fill="none" stroke="#fff" stroke-width="2.4" stroke-linejoin="round"/></svg>`;

function Nav({ route }) {
  const state = useLive();
  const sample = state.sample;
  const dead = sample?.queues.reduce((n, x) => n + x.dead, 0) ?? 0;
  const prepared = sample?.transactions.filter((t) => t.state === 'prepared').reduce((n, t) => n + t.count, 0) ?? 0;
  const section = route.parts[0] ?? '';
  const link = (href, label, key, extra) =>
    html`<a href=${href} class=${section === key ? 'nav-link active' : 'nav-link'} data-testid=${`nav-${key || 'overview'}`}>${label}${extra}</a>`;
  return html`
    <aside class="sidebar">
      <div class="brand"><${Logo} /><span>Postbox</span></div>
      <nav>
        ${link('#/', 'Overview', '')}
        ${link('#/queues', 'Queues', 'queues', dead > 0 && html`<span class="nav-badge danger" title="dead letters">${dead}</span>`)}
        ${link('#/topics', 'Topics', 'topics')}
        ${link('#/transactions', 'Half messages', 'transactions', prepared > 0 && html`<span class="nav-badge">${prepared}</span>`)}
        ${link('#/schedules', 'Schedules', 'schedules')}
      </nav>
      <div class="sidebar-foot">
        <div class=${state.connected ? 'live on' : 'live'} data-testid="live">
          <span class="pulse"></span>${state.connected ? 'Live' : 'Reconnecting…'}
          ${sample && html`<span class="muted"> · ${new Date(sample.at).toLocaleTimeString('en-GB')}</span>`}
        </div>
        <a href="./docs" target="_blank" rel="noopener">API docs</a>
        <a href="./metrics" target="_blank" rel="noopener">Metrics</a>
        ${session.me?.name && html`<div class="who" data-testid="who">${session.me.name}<span>${session.me.scopes.join(', ')}${session.me.names ? ` · ${session.me.names}` : ''}</span></div>`}
        ${
          session.key &&
          html`<button class="link" data-testid="sign-out" onClick=${() => {
            saveKey('');
            location.hash = '';
            location.reload();
          }}>Sign out</button>`
        }
      </div>
    </aside>`;
}

function Login({ onIn, problem }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState(problem);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    saveKey(key.trim());
    try {
      await loadHistory();
      await loadMe();
      onIn();
    } catch (err) {
      saveKey('');
      setError(
        err.status === 401
          ? 'That key was not accepted.'
          : err.status === 403
            ? `This key cannot read queues: ${err.message}`
            : err.message,
      );
    }
    setBusy(false);
  };
  return html`
    <div class="login">
      <form class="login-card" onSubmit=${submit}>
        <div class="brand big"><${Logo} /><span>Postbox</span></div>
        <p class="muted">Sign in with an API key. The dashboard shows the queues and topics this key may see, and offers the actions its scopes allow.</p>
        <label class="field">API key
          <input type="password" name="key" autocomplete="current-password" data-testid="login-key" value=${key} onInput=${(e) => setKey(e.target.value)} autofocus required />
        </label>
        ${error && html`<div class="error-note" role="alert">${error}</div>`}
        <button class="btn btn-primary wide" data-testid="login-submit" disabled=${busy}>Sign in</button>
        <p class="muted small">The key stays in this browser (localStorage) and is sent as <code>x-api-key</code>.</p>
      </form>
    </div>`;
}

function App() {
  const route = useRoute();
  const [status, setStatus] = useState('checking');
  useEffect(() => {
    session.onUnauthorized = () => setStatus('login');
    loadHistory()
      .then(loadMe)
      .then(() => setStatus('in'))
      .catch((error) => setStatus(error.status === 401 || error.status === 403 ? 'login' : 'in'));
  }, []);
  useEffect(() => (status === 'in' ? startLive() : undefined), [status]);
  if (status === 'checking') return html`<div class="boot"></div>`;
  if (status === 'login')
    return html`<${Login} onIn=${() => setStatus('in')} problem=${session.key ? 'Your key is no longer accepted.' : ''} />`;
  return html`
    <div class="layout">
      <${Nav} route=${route} />
      <main class="main"><${Page} route=${route} /></main>
      <${Dialogs} /><${Toasts} />
    </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
