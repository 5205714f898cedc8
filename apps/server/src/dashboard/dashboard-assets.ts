import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The libraries the page imports, served from the package's own
 * dependencies (preact 11, its hooks, htm 3: 17 kB together), so the
 * dashboard works offline and no CDN sees who runs it.
 */
const VENDOR: Record<string, [pkg: string, file: string]> = {
  'preact.mjs': ['preact', 'dist/preact.mjs'],
  'hooks.mjs': ['preact', 'hooks/dist/hooks.mjs'],
  'htm.mjs': ['htm', 'dist/htm.mjs'],
};

/** A file of an installed package: both entries resolve to <root>/dist/…, whatever their "exports" allow. */
function vendorFile(pkg: string, file: string): string {
  return path.join(path.dirname(path.dirname(require.resolve(pkg))), file);
}

/**
 * Where the page's modules are: assets/ next to this file, in src (tests) and
 * in dist alike (the build copies them, see the package's build script).
 */
export function assetsFolder(): string {
  return path.join(__dirname, 'assets');
}

function asset(file: string): Asset {
  const body = readFileSync(file);
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  return { body, type, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
}

/** Every file the page may load, by its name under /dashboard/: nothing else on disk is reachable. */
export function loadAssets(folder = assetsFolder()): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (existsSync(folder)) {
    for (const name of readdirSync(folder)) {
      if (TYPES[path.extname(name)]) assets.set(name, asset(path.join(folder, name)));
    }
  }
  for (const [name, [pkg, file]] of Object.entries(VENDOR)) assets.set(name, asset(vendorFile(pkg, file)));
  return assets;
}
