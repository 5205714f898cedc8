import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type SchemaOption, tablesFor } from '../database/tables';

export interface MaintainArchiveOptions extends SchemaOption {
  /** The time to maintain for; default the database's now(). Tests pass a future time instead of waiting. */
  now?: Date;
  /** How far ahead hourly partitions are created; default 3 hours. */
  aheadMs?: number;
}

export interface MaintainArchiveResult {
  created: string[];
  dropped: string[];
  /** Partitions that were due but locked by a running transaction; the next run drops them. */
  busy: string[];
}

/**
 * Runs the archive maintenance (SQL function maintain_archive,
 * migrations/functions/70-maintain-archive.sql): creates the hourly partitions of the queue and topic archives
 * ahead of time, moves rows that landed in the default partition into theirs,
 * and DROPS partitions whose rows are all past the longest retention. Run it
 * every few minutes (the REST service does); it is cheap when there is
 * nothing to do and safe to run from several processes (an advisory lock
 * makes concurrent runs take turns).
 */
export async function maintainArchive(
  db: Executor,
  { schema, now, aheadMs = 3 * 3_600_000 }: MaintainArchiveOptions = {},
): Promise<MaintainArchiveResult> {
  const fn = sql.raw(`"${tablesFor(schema).schema}".maintain_archive`);
  const { rows } = await sql<{ action: 'created' | 'dropped' | 'busy'; partition_name: string }>`
    select * from ${fn}(coalesce(${now?.toISOString() ?? null}::timestamptz, now()), ${aheadMs} * interval '1 millisecond')`.execute(
    db,
  );
  const result: MaintainArchiveResult = { created: [], dropped: [], busy: [] };
  for (const row of rows) result[row.action].push(row.partition_name);
  return result;
}
