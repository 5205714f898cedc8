import { sql } from 'kysely';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { type TransactionInfo, type TransactionRow, transactionFromRow, transactionTablesFor } from './transaction';

export interface ClaimChecksOptions extends SchemaOption {
  /**
   * How long a claimed check may run before another runner may take it over
   * (the runner dies mid-check): longer than the check's own timeout.
   */
  leaseMs: number;
}

/**
 * Claims up to `max` prepared transactions whose check-back is due, in one
 * statement: FOR UPDATE SKIP LOCKED so runners in other processes never get
 * the same row, and the claim pushes next_check_at out by the lease, so the
 * row stays out of everyone's way while its check runs. `checks` is bumped
 * here, so a check counts even if the runner dies during it.
 *
 * A due transaction that already used all its checks (its runner died during
 * the final one) is expired in the same statement instead of checked again.
 */
export async function claimDueChecks(
  db: Executor,
  max: number,
  { schema, leaseMs }: ClaimChecksOptions,
): Promise<TransactionInfo[]> {
  const tx = transactionTablesFor(schema);
  const { rows } = await sql<TransactionRow>`
    with due as (
      select id, checks, max_checks from ${tx.transactions}
      where state = 'prepared' and next_check_at <= now()
      order by next_check_at
      limit ${max}
      for update skip locked
    ),
    expired as (
      update ${tx.transactions} t
      set state = 'expired', resolved_at = now(), resolved_by = 'expiry',
          last_error = coalesce(t.last_error, 'the final check-back never answered')
      from due where t.id = due.id and due.checks >= due.max_checks
    ),
    claimed as (
      update ${tx.transactions} t
      set checks = t.checks + 1, last_check_at = now(),
          next_check_at = now() + ${leaseMs} * interval '1 millisecond'
      from due where t.id = due.id and due.checks < due.max_checks
      returning t.*
    )
    select * from claimed order by next_check_at`.execute(db);
  return rows.map(transactionFromRow);
}
