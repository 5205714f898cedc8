import { sql } from 'kysely';
import { ackAndArchive } from '../archive/ack-and-archive';
import { knownToArchive } from '../archive/acked-retention-cache';
import type { Executor } from '../database/database';
import { type ParsedReceipt, parseReceipts } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';

export interface AckResult {
  acked: number;
  /** Receipts that matched no current delivery (lease expired and redelivered, or already acked). */
  stale: string[];
}

/**
 * Acks a batch of deliveries in one statement: the rows leave the live table
 * (which is what keeps the claim index short). A receipt only matches while
 * its lease token is the row's current one, so a consumer whose lease ran
 * out and whose message went to someone else acks nothing.
 */
export async function ack(
  db: Executor,
  queue: string,
  receipts: readonly string[],
  { schema }: SchemaOption = {},
): Promise<AckResult> {
  if (receipts.length === 0) return { acked: 0, stale: [] };
  const parsed = parseReceipts(receipts);
  // Queues with retentionMs archive what they ack (archive/ack-and-archive.ts);
  // all others keep this plain DELETE, with no archive cost at all.
  const archives = knownToArchive(db, schema, queue);
  if (archives !== false) {
    const archived = await ackAndArchive(db, queue, parsed, { schema, detect: archives === undefined });
    return matchReceipts(receipts, parsed, archived, 'acked');
  }
  const t = tablesFor(schema);
  const { rows } = await sql<{ id: string; token: string }>`
    delete from ${t.messages} m
    using unnest(${parsed.map((r) => r.id)}::bigint[], ${parsed.map((r) => r.token)}::bigint[]) as r(id, token)
    where m.id = r.id and m.lease_token = r.token and m.queue = ${queue}
    returning m.id, m.lease_token as token`.execute(db);
  return matchReceipts(receipts, parsed, rows, 'acked');
}

/**
 * Splits receipts into the ones the statement touched and the stale rest.
 * Matched by id AND lease token: one request may carry a stale and the
 * current receipt of the same message, and only the current one counts.
 */
export function matchReceipts<K extends string>(
  receipts: readonly string[],
  parsed: readonly ParsedReceipt[],
  rows: readonly { id: string | number; token: string | number }[],
  key: K,
): { [P in K]: number } & { stale: string[] } {
  const touched = new Set(rows.map((r) => deliveryKey(r.id, r.token)));
  const stale = receipts.filter((_, i) => {
    const receipt = parsed[i] as ParsedReceipt;
    return !touched.has(deliveryKey(receipt.id, receipt.token));
  });
  return { [key]: touched.size, stale } as { [P in K]: number } & { stale: string[] };
}

/** Canonical "<id>.<token>" (the database prints "7", a receipt may say "007"). */
export function deliveryKey(id: string | number, token: string | number): string {
  return `${BigInt(id)}.${BigInt(token)}`;
}
