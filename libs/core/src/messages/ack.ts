import { sql } from 'kysely';
import type { Executor } from '../database/database';
import { type Delivery, deliveryRows, matchesDelivery, type ParsedReceipt, parseReceipts } from '../database/receipt';
import { type SchemaOption, tablesFor } from '../database/tables';
import { ackAndArchive } from './ack-and-archive';
import { knownToArchive } from './acked-retention-cache';

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
  const rows = await ackDeliveries(db, queue, parsed, { schema });
  return matchReceipts(receipts, parsed, rows, 'acked');
}

/**
 * The ack statement over parsed deliveries; returns the rows it removed.
 * Lock-mode consumers call it inside the transaction that holds the rows.
 */
export async function ackDeliveries(
  db: Executor,
  queue: string,
  deliveries: readonly Delivery[],
  { schema, archives: known }: SchemaOption & { archives?: boolean } = {},
): Promise<{ id: string; token: string | null }[]> {
  // Queues with retentionMs archive what they ack (archive/ack-and-archive.ts);
  // all others keep this plain DELETE, with no archive cost at all. A caller
  // that knows the queue's retention says so in `archives`.
  const archives = known ?? knownToArchive(db, schema, queue);
  if (archives !== false) {
    return ackAndArchive(db, queue, deliveries, { schema, detect: archives === undefined });
  }
  const { rows } = await ackStatement(queue, deliveries, schema).execute(db);
  return rows;
}

/** @internal The plain ack's DELETE (exported for the plan test). */
export function ackStatement(queue: string, deliveries: readonly Delivery[], schema?: string) {
  const t = tablesFor(schema);
  return sql<{ id: string; token: string | null }>`
    delete from ${t.messages} m
    using ${deliveryRows(deliveries)}
    where ${matchesDelivery(deliveries)} and m.queue = ${queue}
    returning m.id, m.lease_token as token`;
}

/**
 * Splits receipts into the ones the statement touched and the stale rest.
 * Matched by id AND lease token: one request may carry a stale and the
 * current receipt of the same message, and only the current one counts.
 */
export function matchReceipts<K extends string>(
  receipts: readonly string[],
  parsed: readonly ParsedReceipt[],
  rows: readonly { id: string | number; token: string | number | null }[],
  key: K,
): { [P in K]: number } & { stale: string[] } {
  // A null token (lock mode, never leased) matches no receipt.
  const touched = new Set(rows.flatMap((r) => (r.token === null ? [] : [deliveryKey(r.id, r.token)])));
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
