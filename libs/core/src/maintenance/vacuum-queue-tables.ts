import { sql } from 'kysely';
import { asKysely, type Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';
import { SWEEP_LOCK_NAMESPACE } from './sweep';

/** Tables every message passes through (insert, claim update, delete on ack): their dead rows pile up fastest. */
const QUEUE_TABLES = ['messages', 'dead_letters', 'dedup_keys'] as const;
export type QueueTable = (typeof QUEUE_TABLES)[number];

export interface VacuumQueueTablesOptions extends SchemaOption {
  /** A table is vacuumed once its dead rows pass max(minDeadTuples, deadFraction × live rows). Default 10,000. */
  minDeadTuples?: number;
  /** Default 0.2: autovacuum's own default scale factor. */
  deadFraction?: number;
}

export interface VacuumQueueTablesResult {
  /** Tables over the bound that were vacuumed (SKIP_LOCKED: one another VACUUM holds is left to it). */
  vacuumed: QueueTable[];
  /** Tables over the bound this role may not VACUUM (not the owner; PostgreSQL 17+: no MAINTAIN privilege). */
  notPermitted: QueueTable[];
}

/**
 * VACUUMs the queue tables whose dead rows passed the bound, on one pool
 * connection outside any transaction (VACUUM cannot run in one). Returns null
 * when another process holds this sweep.
 *
 * Why Postbox runs VACUUM itself: every message is inserted, claimed (an
 * update) and deleted on ack, and autovacuum visits a database at most once
 * per autovacuum_naptime (60 s by default; a server-wide setting a table
 * cannot change), so a minute of dead rows piles up between two visits and
 * the table grows to hold them. Measured with the steady-state bench
 * (bench/src/workloads/steady-state.ts: 10 minutes over a 100k backlog,
 * consume(queue, handler) paced at 80% of calibrated capacity, embedded
 * PostgreSQL 18, a shared 2-core machine at load 11-20):
 *   without (autovacuum only)   6.9k msg/s: dead rows 200k-876k (sawtooth
 *                               of the minute), table + indexes 112-364 MB
 *   with (this sweep, 5 s)      4.9k-6.2k msg/s: dead rows max 38k-42k,
 *                               table + indexes 43-57 MB; 113 VACUUMs (and
 *                               8 autovacuums, 000013) in the 10 minutes
 *   with, at load ~2 and        28.1k msg/s: dead rows max 221k, mean of the
 *   the faster consumer         last minute 97% of the first's; table +
 *                               indexes 105-106 MB; 131 VACUUMs + 9
 *                               autovacuums
 * Lock mode (claimMode 'lock'): without, 10.0k msg/s, dead rows max 1.43M,
 * 124-552 MB; with, 6.7k msg/s (the calibration follows the machine's
 * load), max 89k, 46-64 MB (85 VACUUMs, each 1.3-1.6 s of wall time at
 * load ~15). Throughput was flat either way (last minute 94-106% of the
 * first): what the dead rows cost here is space, ~5-8x. (Per-table autovacuum settings,
 * migration 000013, lower the threshold but cannot bring the visit sooner.)
 *
 * Many processes: a session advisory lock (the sweeps' namespace) lets one
 * process check and vacuum at a time, the others skip the pass; SKIP_LOCKED
 * leaves a table that autovacuum or an operator's VACUUM is already on.
 * Reading n_dead_tup is one lookup in the statistics (no table scan).
 */
export async function vacuumQueueTables(
  db: Executor,
  { schema, minDeadTuples = 10_000, deadFraction = 0.2 }: VacuumQueueTablesOptions = {},
): Promise<VacuumQueueTablesResult | null> {
  if (db.isTransaction) throw new Error('vacuumQueueTables: VACUUM cannot run inside a transaction');
  const t = tablesFor(schema);
  const identifiers: Record<QueueTable, typeof t.messages> = {
    messages: t.messages,
    dead_letters: t.deadLetters,
    dedup_keys: t.dedupKeys,
  };
  const lockName = `${t.schema}.vacuum`;
  // One connection for lock, reads, VACUUM and unlock: a session-level lock
  // is held by the connection that took it, and no transaction is open.
  return asKysely(db)
    .connection()
    .execute(async (connection) => {
      const { rows: lock } = await sql<{ locked: boolean }>`
        select pg_try_advisory_lock(${SWEEP_LOCK_NAMESPACE}, hashtext(${lockName})) as locked`.execute(connection);
      if (!lock[0]?.locked) return null;
      try {
        // pg_stat_user_tables lags the writes by up to a second (backends
        // flush their counts when idle): near enough for a bound of 10,000s.
        // MAINTAIN (PostgreSQL 17+) is what VACUUM checks there; before 17
        // only the owner (or a superuser) may vacuum. A role without it would
        // get a WARNING and a silent skip from VACUUM, so it is asked first.
        const { rows } = await sql<{ table: QueueTable; dead: string; live: string; permitted: boolean }>`
          select s.relname as table, s.n_dead_tup as dead, s.n_live_tup as live,
                 case when current_setting('server_version_num')::int >= 170000
                      then has_table_privilege(s.relid, 'MAINTAIN')
                      else pg_has_role(c.relowner, 'USAGE') end as permitted
          from pg_catalog.pg_stat_user_tables s
          join pg_catalog.pg_class c on c.oid = s.relid
          where s.schemaname = ${t.schema} and s.relname = any(${QUEUE_TABLES as readonly string[]}::text[])
          order by s.relname`.execute(connection);
        const result: VacuumQueueTablesResult = { vacuumed: [], notPermitted: [] };
        for (const row of rows) {
          if (Number(row.dead) <= Math.max(minDeadTuples, deadFraction * Number(row.live))) continue;
          if (!row.permitted) {
            result.notPermitted.push(row.table);
            continue;
          }
          await sql`vacuum (skip_locked) ${identifiers[row.table]}`.execute(connection);
          result.vacuumed.push(row.table);
        }
        return result;
      } finally {
        await sql`select pg_advisory_unlock(${SWEEP_LOCK_NAMESPACE}, hashtext(${lockName}))`.execute(connection);
      }
    });
}
