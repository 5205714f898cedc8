import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { DEFAULT_SCHEMA, type SchemaOption } from '../database/tables';

/** Totals since the statistics were last reset; rates are the difference of two readings over time. */
export interface ActivityCounters {
  /** Rows inserted into messages: sends, publishes (one per group), redrives. */
  inserted: number;
  /** Rows deleted from messages: acks, dead-lettering, purges, expiry. */
  deleted: number;
  /** Rows inserted into dead_letters. */
  deadLettered: number;
}

/**
 * Message throughput of the whole database, every producer and consumer
 * included (the service's own counters only see its own requests), read from
 * PostgreSQL's cumulative table statistics: one catalog lookup however many
 * messages wait, where counting rows by time costs O(backlog). Backends flush
 * these at most once a second (10 s when idle), so a rate over a 5 s sample
 * can lag by a sample. Null when the tables are not found (statistics off).
 */
export async function readActivityCounters(
  db: Executor,
  { schema = DEFAULT_SCHEMA }: SchemaOption = {},
): Promise<ActivityCounters | null> {
  const { rows } = await sql<{ relname: string; ins: string; del: string }>`
    select relname, n_tup_ins as ins, n_tup_del as del from pg_stat_user_tables
    where schemaname = ${schema} and relname in ('messages', 'dead_letters')`.execute(db);
  const messages = rows.find((row) => row.relname === 'messages');
  const dead = rows.find((row) => row.relname === 'dead_letters');
  if (!messages || !dead) return null;
  return { inserted: Number(messages.ins), deleted: Number(messages.del), deadLettered: Number(dead.ins) };
}
