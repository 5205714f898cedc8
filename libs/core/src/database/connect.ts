import { Kysely, PostgresDialect } from 'kysely';
import pg, { type Pool } from 'pg';
import type { Executor } from './database';

export interface ConnectOptions {
  connectionString?: string;
  /** An existing pool, e.g. the application's own, so Postbox shares it. */
  pool?: Pool;
  /** Pool size when Postbox creates the pool. */
  maxConnections?: number;
}

export interface Connection {
  db: Executor;
  pool: Pool;
  /** Closes the pool if Postbox created it; a pool passed in is left to its owner. */
  close(): Promise<void>;
}

export function connect(options: ConnectOptions): Connection {
  const ownsPool = !options.pool;
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
    });
  // A pooled client whose server went away emits 'error' on the pool; without
  // a listener that would crash the process. The next query reconnects.
  if (ownsPool) pool.on('error', () => {});
  // The same for a client checked out with no query running: a transaction
  // held open while handlers run (lock mode, exactly-once) whose backend is
  // terminated. pg emits that on the client itself, where nothing listens.
  // The transaction's next statement fails with the cause, and the pool
  // drops the dead client when it is released.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    async close() {
      if (ownsPool) await db.destroy();
    },
  };
}
