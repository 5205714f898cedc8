import type pg from 'pg';
import { ackDeliveries } from '../../libs/core/src/messages/ack';
import { claimLocked } from '../../libs/core/src/messages/claim-locked';
import { nackDeliveries } from '../../libs/core/src/messages/nack';
import type { Postbox } from '../../libs/core/src/postbox';

/**
 * One message lifecycle, two ways in: the TypeScript library and the psql
 * functions over a raw pg client (River's riverdrivertest is the model).
 * test/conformance/lifecycle.spec.ts runs the same assertions through both,
 * so a rule that lives in SQL (migrations/functions/) and is reached from
 * both sides cannot drift on one side only.
 */
export interface SendInput {
  body: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  priority?: number;
  dedupKey?: string;
  groupKey?: string;
}

export interface Claimed {
  id: string;
  receipt: string;
  attempts: number;
  body: unknown;
  headers: Record<string, string>;
}

/** A message held by a row lock; `attempts` as stored (the lock counted none). */
export interface Locked {
  id: string;
  token: string | null;
  attempts: number;
  body: unknown;
  exhausted: boolean;
}

export type NackOutcome = 'retried' | 'dead' | 'stale';

export interface LockSession {
  ack(messages: readonly Locked[]): Promise<number>;
  nack(message: Locked, error: string | null, delayMs?: number): Promise<NackOutcome>;
}

export interface PublishInput {
  body: unknown;
  headers?: Record<string, string>;
  tag?: string;
  priority?: number;
  groupKey?: string;
}

export interface Driver {
  name: 'library' | 'psql';
  send(queue: string, message: SendInput): Promise<string>;
  sendBatch(queue: string, messages: readonly SendInput[]): Promise<{ ids: string[]; duplicates: number[] }>;
  claim(queue: string, max: number, visibilityTimeoutMs?: number): Promise<Claimed[]>;
  ack(queue: string, receipts: readonly string[]): Promise<number>;
  nack(queue: string, receipt: string, options?: { error?: string; delayMs?: number }): Promise<NackOutcome>;
  extend(queue: string, receipt: string, visibilityTimeoutMs: number): Promise<boolean>;
  release(queue: string, receipt: string): Promise<boolean>;
  redrive(queue: string, ids?: readonly string[]): Promise<number>;
  publish(topic: string, message: PublishInput): Promise<string>;
  subscribe(topic: string, group: string, tags?: string[]): Promise<string>;
  /** Locks up to `max` messages in one transaction, runs `work`, commits. */
  withLock<T>(queue: string, max: number, work: (locked: Locked[], session: LockSession) => Promise<T>): Promise<T>;
}

function outcome(result: { retried: number; deadLettered: number }): NackOutcome {
  return result.retried === 1 ? 'retried' : result.deadLettered === 1 ? 'dead' : 'stale';
}

export function libraryDriver(postbox: Postbox): Driver {
  return {
    name: 'library',
    send: async (queue, message) => (await postbox.send(queue, message)).id,
    sendBatch: (queue, messages) => postbox.sendBatch(queue, messages),
    claim: async (queue, max, visibilityTimeoutMs) =>
      (await postbox.receive(queue, { max, visibilityTimeoutMs })).map((m) => ({
        id: m.id,
        receipt: m.receipt,
        attempts: m.attempts,
        body: m.body,
        headers: m.headers,
      })),
    ack: async (queue, receipts) => (await postbox.ack(queue, receipts)).acked,
    nack: async (queue, receipt, options = {}) => outcome(await postbox.nack(queue, [{ receipt, ...options }])),
    extend: async (queue, receipt, ms) => (await postbox.extend(queue, [receipt], ms)).extended === 1,
    release: async (queue, receipt) => (await postbox.release(queue, [receipt])) === 1,
    redrive: (queue, ids) => postbox.redrive(queue, ids),
    publish: async (topic, message) => (await postbox.publish(topic, message)).id,
    subscribe: async (topic, group, tags) => (await postbox.subscribe(topic, group, { tags })).queue.name,
    withLock: (queue, max, work) =>
      postbox.db.transaction().execute(async (trx) => {
        const locked = (await claimLocked(trx, queue, max)).map((m) => ({
          id: m.id,
          token: m.leaseToken,
          attempts: m.attempts - 1,
          body: m.body,
          exhausted: m.exhausted,
        }));
        return work(locked, {
          ack: async (messages) =>
            (
              await ackDeliveries(
                trx,
                queue,
                messages.map((m) => ({ id: m.id, token: m.token })),
              )
            ).length,
          nack: async (m, error, delayMs) => {
            const rows = await nackDeliveries(trx, queue, [{ id: m.id, token: m.token, error, delayMs }], {
              heldLock: true,
            });
            return rows[0]?.outcome ?? 'stale';
          },
        });
      }),
  };
}

export function psqlDriver(client: pg.Client): Driver {
  const one = async <T>(text: string, values: unknown[]): Promise<T> => (await client.query(text, values)).rows[0].v;
  const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));
  return {
    name: 'psql',
    send: (queue, m) =>
      one('select postbox.send($1, $2::jsonb, $3::jsonb, $4, $5, $6, $7)::text as v', [
        queue,
        json(m.body),
        json(m.headers),
        m.delayMs ?? 0,
        m.priority ?? 0,
        m.dedupKey ?? null,
        m.groupKey ?? null,
      ]),
    sendBatch: async (queue, messages) => {
      const batch = messages.map((m) => ({
        body: m.body,
        headers: m.headers,
        delay_ms: m.delayMs,
        priority: m.priority,
        dedup_key: m.dedupKey,
        group_key: m.groupKey,
      }));
      const { rows } = await client.query('select id::text, duplicate from postbox.send_batch($1, $2::jsonb)', [
        queue,
        JSON.stringify(batch),
      ]);
      if (rows.length === 0) throw new Error(`queue "${queue}" does not exist`);
      return { ids: rows.map((r) => r.id), duplicates: rows.flatMap((r, i) => (r.duplicate ? [i] : [])) };
    },
    claim: async (queue, max, visibilityTimeoutMs) => {
      const { rows } = await client.query(
        'select id::text, receipt, attempts, body, headers from postbox.receive($1, $2, $3)',
        [queue, max, visibilityTimeoutMs ?? null],
      );
      return rows.map((r) => ({ ...r, headers: r.headers ?? {} }));
    },
    ack: (queue, receipts) => one('select postbox.ack($1, $2::text[]) as v', [queue, receipts]),
    nack: async (_queue, receipt, options = {}) =>
      (await one<NackOutcome | null>('select postbox.nack($1, $2, $3) as v', [
        receipt,
        options.error ?? null,
        options.delayMs ?? null,
      ])) ?? 'stale',
    extend: (_queue, receipt, ms) => one('select postbox.extend($1, $2) as v', [receipt, ms]),
    release: (_queue, receipt) => one('select postbox.release($1) as v', [receipt]),
    redrive: (queue, ids) => one('select postbox.redrive($1, $2::bigint[]) as v', [queue, ids ?? null]),
    publish: (topic, m) =>
      one('select postbox.publish($1, $2::jsonb, $3::jsonb, $4, 0, $5, $6)::text as v', [
        topic,
        json(m.body),
        json(m.headers),
        m.tag ?? null,
        m.priority ?? 0,
        m.groupKey ?? null,
      ]),
    subscribe: (topic, group, tags) => one('select postbox.subscribe($1, $2, $3) as v', [topic, group, tags ?? null]),
    withLock: async (queue, max, work) => {
      await client.query('begin');
      try {
        const { rows } = await client.query(
          `select id::text, lease_token::text as token, attempts, body, exhausted from postbox.lock_messages($1, $2)`,
          [queue, max],
        );
        const result = await work(rows, {
          ack: (messages) =>
            one('select count(*)::int as v from postbox.ack_messages($1, $2::bigint[], $3::bigint[])', [
              queue,
              messages.map((m) => m.id),
              messages.map((m) => m.token),
            ]),
          nack: async (m, error, delayMs) =>
            (await one<NackOutcome | null>(
              `select (select outcome from postbox.nack_messages($1, array[$2::bigint], array[$3::bigint],
                 array[$4::text], array[$5::bigint], held_lock => true)) as v`,
              [queue, m.id, m.token, error, delayMs ?? null],
            )) ?? 'stale',
        });
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    },
  };
}
