import { createHash } from 'node:crypto';

/**
 * The import map lets the page's modules and preact's hooks import the bare
 * names "preact" and "htm"; every URL is relative, so the dashboard also
 * works behind a path prefix.
 */
const IMPORT_MAP = JSON.stringify({
  imports: { preact: './dashboard/preact.mjs', 'preact/hooks': './dashboard/hooks.mjs', htm: './dashboard/htm.mjs' },
});

/** The only inline script is the import map; the CSP allows exactly it (by hash) and the service's own files. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${createHash('sha256').update(IMPORT_MAP).digest('base64')}'`,
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The dashboard's shell: no data, no key. The modules it loads (assets/,
 * Preact + htm, no build step) ask for an API key and then read the REST
 * API with it, so the page shows what that key may see and nothing more.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Postbox</title>
<link rel="icon" href="./dashboard/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="./dashboard/dashboard.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="./dashboard/app.js"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Postbox dashboard needs JavaScript. The REST API is documented at <a href="./docs">/docs</a>.</noscript>
</body>
</html>
`;
