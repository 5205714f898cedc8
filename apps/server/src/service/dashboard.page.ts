/**
 * The dashboard: one static page, no build step. It polls GET /v1/queues
 * every 2 s. With POSTBOX_API_KEY set, it asks for the key once and keeps it
 * in localStorage.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Postbox</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d1d1f; background: #fafafa; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  .sub { color: #666; margin-bottom: 1.5rem; }
  table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px #0002; }
  th, td { padding: .5rem .75rem; text-align: right; border-bottom: 1px solid #eee; }
  th:first-child, td:first-child { text-align: left; }
  th { background: #f0f0f3; font-weight: 600; }
  td.dead.nonzero { color: #b00020; font-weight: 600; }
  #status { margin-top: 1rem; color: #666; }
  #status.error { color: #b00020; }
  a { color: #0060df; }
</style>
</head>
<body>
<h1>Postbox</h1>
<div class="sub">Queues on this server, refreshed every 2 s &middot; <a href="/docs">API docs</a> &middot; <a href="/metrics">metrics</a></div>
<table>
  <thead><tr><th>queue</th><th>ready</th><th>delayed</th><th>in flight</th><th>dead</th><th>oldest ready</th><th>fifo</th><th>max attempts</th></tr></thead>
  <tbody id="queues"><tr><td colspan="8">loading…</td></tr></tbody>
</table>
<div id="status"></div>
<script>
  const rows = document.getElementById('queues');
  const status = document.getElementById('status');
  function age(ms) {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1000) return ms + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    if (ms < 3600000) return (ms / 60000).toFixed(1) + ' min';
    return (ms / 3600000).toFixed(1) + ' h';
  }
  function cell(text, cls) {
    const td = document.createElement('td');
    td.textContent = String(text);
    if (cls) td.className = cls;
    return td;
  }
  async function refresh() {
    const headers = {};
    const key = localStorage.getItem('postbox-api-key');
    if (key) headers['x-api-key'] = key;
    try {
      const res = await fetch('/v1/queues', { headers });
      if (res.status === 401) {
        const entered = prompt('API key for this Postbox');
        if (entered) localStorage.setItem('postbox-api-key', entered);
        return;
      }
      if (!res.ok) throw new Error((await res.json()).message || res.statusText);
      const queues = await res.json();
      rows.replaceChildren(...(queues.length ? queues.map((q) => {
        const tr = document.createElement('tr');
        tr.append(cell(q.name), cell(q.ready), cell(q.delayed), cell(q.inFlight),
          cell(q.dead, q.dead > 0 ? 'dead nonzero' : 'dead'), cell(age(q.oldestReadyAgeMs)),
          cell(q.fifo ? 'yes' : ''), cell(q.maxAttempts));
        return tr;
      }) : [(() => { const tr = document.createElement('tr'); tr.append(cell('no queues yet')); tr.firstChild.colSpan = 8; return tr; })()]));
      status.textContent = 'updated ' + new Date().toLocaleTimeString();
      status.className = '';
    } catch (error) {
      status.textContent = 'could not load queues: ' + error.message;
      status.className = 'error';
    }
  }
  refresh();
  setInterval(refresh, 2000);
</script>
</body>
</html>
`;
