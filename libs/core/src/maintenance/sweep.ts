import { sql } from 'kysely';
import type { Executor } from '../database/database';

/** Same namespace from every process: one process runs a given sweep at a time. */
export const SWEEP_LOCK_NAMESPACE = 0x73776570; // 'swep'

/**
 * Runs `deleteBatch` in transactions that first take a transaction-level
 * advisory lock for this schema + sweep; a process that doesn't get it skips
 * the pass (another one is doing it). Batches keep each statement's locks
 * and WAL short; the loop ends when a batch deletes less than `limit`.
 * Returns rows deleted, or null when another process holds the sweep.
 */
export async function sweepInBatches(
  db: Executor,
  lockName: string,
  limit: number,
  deleteBatch: (trx: Executor) => Promise<number>,
): Promise<number | null> {
  let total = 0;
  for (;;) {
    const deleted = await db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ locked: boolean }>`
        select pg_try_advisory_xact_lock(${SWEEP_LOCK_NAMESPACE}, hashtext(${lockName})) as locked`.execute(trx);
      return rows[0].locked ? deleteBatch(trx) : null;
    });
    if (deleted === null) return total > 0 ? total : null;
    total += deleted;
    if (deleted < limit) return total;
  }
}
