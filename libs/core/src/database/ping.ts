import { sql } from 'kysely';
import type { Executor } from './database';

/**
 * Resolves true when the database answers `select 1` within `timeoutMs`
 * (health checks). A pool waiting for a connection to a dead host could
 * otherwise hang the caller for the OS's TCP timeout.
 */
export async function ping(db: Executor, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const query = sql`select 1`.execute(db).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
