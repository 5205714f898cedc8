import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { transactionTablesFor } from './transaction';

/** Retries back off from checkAfterMs (at least 100 ms), doubling, capped at 5 minutes (or checkAfterMs if longer). */
export const MAX_CHECK_BACKOFF_MS = 300_000;

export type UnresolvedOutcome = 'retrying' | 'expired' | 'stale';

/**
 * Records a check-back that did not resolve the transaction (the producer
 * answered "unknown", the call failed or timed out), one statement: the next
 * check is scheduled with exponential backoff and equal jitter, or, when
 * this was the last allowed check, the transaction expires (rolled back, the
 * reason kept in last_error).
 *
 * `checks` is the count the claim returned: if another runner has claimed
 * the transaction since (this runner's lease ran out), nothing is written.
 */
export async function scheduleNextCheck(
  db: Executor,
  transactionId: string,
  checks: number,
  error: string,
  { schema }: SchemaOption = {},
): Promise<UnresolvedOutcome> {
  const tx = transactionTablesFor(schema);
  const { rows } = await sql<{ state: string }>`
    update ${tx.transactions} t
    set last_error = ${error.slice(0, 10_000)},
        state = case when t.checks >= t.max_checks then 'expired' else t.state end,
        resolved_at = case when t.checks >= t.max_checks then now() end,
        resolved_by = case when t.checks >= t.max_checks then 'expiry' end,
        next_check_at = case when t.checks >= t.max_checks then t.next_check_at else
          now() + interval '1 millisecond' * least(
            greatest(t.check_after_ms, ${MAX_CHECK_BACKOFF_MS}),
            greatest(t.check_after_ms, 100) * power(2, t.checks - 1)
          ) * (0.5 + random() / 2) end
    where t.id = ${transactionId} and t.state = 'prepared' and t.checks = ${checks}
    returning t.state`.execute(db);
  if (!rows[0]) return 'stale';
  return rows[0].state === 'expired' ? 'expired' : 'retrying';
}
