import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';

/**
 * The example's tables come from plain SQL files run in name order at every
 * start; each uses `create … if not exists`, so running them again is a no-op.
 * (The app's migrations must not go through graphile-migrate: it keeps one
 * bookkeeping schema per database, and Postbox's own migrations use it.)
 */
export async function runOrdersMigrations(pool: pg.Pool): Promise<string[]> {
  const folder = findMigrationsFolder();
  const files = readdirSync(folder)
    .filter((file) => file.endsWith('.sql'))
    .sort();
  for (const file of files) await pool.query(readFileSync(path.join(folder, file), 'utf8'));
  return files;
}

/** apps/example-orders/migrations, from the source tree or from dist/. */
function findMigrationsFolder(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'apps', 'example-orders', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`apps/example-orders/migrations not found above ${__dirname}`);
  }
}
