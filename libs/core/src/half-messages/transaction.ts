import { type RawBuilder, sql } from 'kysely';
import { DEFAULT_SCHEMA } from '../database/tables';
import { InvalidInputError, NotFoundError } from '../errors';
import type { OutgoingMessage } from '../messages/message';

/** Where a half message goes when it is committed. */
export type TransactionTarget = { queue: string; topic?: undefined } | { topic: string; queue?: undefined };

export const TRANSACTION_STATES = ['prepared', 'committed', 'rolledBack', 'expired'] as const;
export type TransactionState = (typeof TRANSACTION_STATES)[number];

/** What decided a resolved transaction: the producer's call, a check-back answer, or running out of checks. */
export type ResolvedBy = 'producer' | 'checkback' | 'expiry';

/** A half message as stored, for GET /v1/transactions/:id and the checkers. */
export interface TransactionInfo {
  transactionId: string;
  /** Exactly one of queue / topic is set. */
  queue?: string;
  topic?: string;
  state: TransactionState;
  /** Check-backs started so far. */
  checks: number;
  maxChecks: number;
  checkAfterMs: number;
  checkbackUrl: string | null;
  dedupKey: string | null;
  /** The message as prepared (body, headers, …). */
  message: OutgoingMessage & { tag?: string };
  createdAt: Date;
  /** While prepared: when the next check-back is due (or the running one's lease ends). */
  nextCheckAt: Date | null;
  lastCheckAt: Date | null;
  /** Why the last check-back did not resolve it (unknown answer, HTTP error, timeout). */
  lastError: string | null;
  resolvedAt: Date | null;
  resolvedBy: ResolvedBy | null;
  /** Id of the message (or topic publication) the commit produced. */
  messageId: string | null;
}

export interface TransactionRow {
  id: string;
  target_kind: 'queue' | 'topic';
  target: string;
  message: OutgoingMessage & { tag?: string };
  state: TransactionState;
  dedup_key: string | null;
  checkback_url: string | null;
  check_after_ms: number;
  max_checks: number;
  checks: number;
  next_check_at: Date;
  last_check_at: Date | null;
  last_error: string | null;
  created_at: Date;
  resolved_at: Date | null;
  resolved_by: ResolvedBy | null;
  message_id: string | null;
}

export function transactionFromRow(row: TransactionRow): TransactionInfo {
  return {
    transactionId: row.id,
    ...(row.target_kind === 'queue' ? { queue: row.target } : { topic: row.target }),
    state: row.state,
    checks: row.checks,
    maxChecks: row.max_checks,
    checkAfterMs: row.check_after_ms,
    checkbackUrl: row.checkback_url,
    dedupKey: row.dedup_key,
    message: row.message,
    createdAt: row.created_at,
    nextCheckAt: row.state === 'prepared' ? row.next_check_at : null,
    lastCheckAt: row.last_check_at,
    lastError: row.last_error,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    messageId: row.message_id,
  };
}

export interface TransactionTables {
  transactions: RawBuilder<unknown>;
}

export function transactionTablesFor(schema: string = DEFAULT_SCHEMA): TransactionTables {
  return { transactions: sql.table(`${schema}.transactions`) };
}

export class TransactionNotFoundError extends NotFoundError {
  override name = 'TransactionNotFoundError';
  constructor(readonly transactionId: string) {
    super(`transaction "${transactionId}" does not exist`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name a transaction, so it is "not found" rather than a 400. */
export function checkTransactionId(id: unknown): string {
  if (typeof id !== 'string' || !UUID.test(id)) throw new TransactionNotFoundError(String(id));
  return id.toLowerCase();
}

/** Splits a target into the stored (kind, name) pair, naming the field on bad input. */
export function targetColumns(target: TransactionTarget): { kind: 'queue' | 'topic'; name: string } {
  if (target === null || typeof target !== 'object') throw new InvalidInputError('queue', 'or topic is required');
  const { queue, topic } = target as { queue?: unknown; topic?: unknown };
  if (queue !== undefined && topic !== undefined) throw new InvalidInputError('topic', 'cannot be combined with queue');
  if (queue === undefined && topic === undefined) throw new InvalidInputError('queue', 'or topic is required');
  const kind = queue !== undefined ? 'queue' : 'topic';
  const name = queue ?? topic;
  if (typeof name !== 'string' || name.length === 0) throw new InvalidInputError(kind, 'must be a non-empty string');
  return { kind, name };
}
