import { type RawBuilder, sql } from 'kysely';
import { InvalidInputError } from '../errors';

/**
 * A receipt names one delivery: "<message id>.<lease token>". The token is
 * random per claim, so once a lease expires and the message is claimed again
 * the old receipt matches no row and acks nothing.
 */
export interface ParsedReceipt {
  id: string;
  token: string;
}

/**
 * A delivery as ack and nack match it: id and lease token. The token is null
 * only for a lock-mode delivery of a never-leased row (messages/claim-locked.ts),
 * which the consumer holding the lock acks; receipts always carry one.
 */
export interface Delivery {
  id: string;
  token: string | null;
}

const RECEIPT = /^(\d{1,19})\.(-?\d{1,19})$/;
const BIGINT_MAX = 9_223_372_036_854_775_807n;
const BIGINT_MIN = -9_223_372_036_854_775_808n;

/** Digits only (19 at most: "9999999999999999999" passes the pattern) that fit a Postgres bigint. */
function fitsBigint(digits: string): boolean {
  const value = BigInt(digits);
  return value >= BIGINT_MIN && value <= BIGINT_MAX;
}

/**
 * A message id as the API takes it: a string of digits within bigint. One
 * beyond it ("9999999999999999999") is malformed input, not an unknown id:
 * Postgres would fail the cast instead of matching nothing.
 */
export function isMessageId(value: unknown): value is string {
  return typeof value === 'string' && /^\d{1,19}$/.test(value) && fitsBigint(value);
}

export function formatReceipt(id: string, token: string): string {
  return `${id}.${token}`;
}

/**
 * The delivery of a receipt this process formatted itself (a consumer's own
 * claim), unchecked: the consumer's ack path skips parseReceipt's regex and
 * BigInt range checks, ~4% of a lease drain's Node CPU.
 */
export function deliveryOfOwnReceipt(receipt: string): Delivery {
  const dot = receipt.indexOf('.');
  return { id: receipt.slice(0, dot), token: receipt.slice(dot + 1) };
}

export function parseReceipt(receipt: unknown, field = 'receipt'): ParsedReceipt {
  const match = typeof receipt === 'string' ? RECEIPT.exec(receipt) : null;
  // Malformed (beyond bigint, not "<id>.<token>") is a 400; a well-formed receipt that matches no delivery is stale, not an error.
  if (!match || !fitsBigint(match[1] as string) || !fitsBigint(match[2] as string))
    throw new InvalidInputError(field, 'is not a receipt returned by receive');
  return { id: match[1] as string, token: match[2] as string };
}

export function parseReceipts(receipts: readonly unknown[], field = 'receipts'): ParsedReceipt[] {
  return receipts.map((r, i) => parseReceipt(r, `${field}[${i}]`));
}

/**
 * How ack, nack, extend and release find their rows: `from messages m,
 * ${deliveryRows(d)} where ${matchesDelivery(d)}`. The `m.id = any(ids)`
 * makes each statement probe the primary key once per receipt whatever the
 * statistics say. Joined on `unnest` alone, the planner trusted statistics
 * taken while the table was small: right after a burst an ack of 10
 * hash-joined 300,000 rows (0.43-3.4 s per ack, issue 10 item 9); with the
 * id list it reads 10 index entries (test/receipt-plans.spec.ts
 * checks the plan under exactly those statistics).
 */
export function deliveryRows(deliveries: readonly Delivery[]): RawBuilder<unknown> {
  return sql`unnest(${bigintArray(deliveries.map((d) => d.id))}, ${bigintArray(deliveries.map((d) => d.token))}) as r(id, token)`;
}

/** The match of `m` (messages) to `r` (deliveryRows): the row's id, and its current lease token. */
export function matchesDelivery(deliveries: readonly Delivery[]): RawBuilder<unknown> {
  return sql`m.id = any(${bigintArray(deliveries.map((d) => d.id))}) and m.id = r.id and m.lease_token is not distinct from r.token`;
}

/**
 * A bigint[] parameter sent as one array literal ("{7,8,NULL}"). pg's own
 * serializer (arrayString) builds it element by element: 680 B of garbage per
 * message acked in a lease drain's heap profile, where garbage collection was
 * 39% of the consumer's CPU. The values are digit strings parseReceipt
 * checked or the database returned, so there is nothing to quote.
 */
export function bigintArray(values: readonly (string | null)[]): RawBuilder<unknown> {
  return sql`${`{${values.map((v) => v ?? 'NULL').join(',')}}`}::bigint[]`;
}
