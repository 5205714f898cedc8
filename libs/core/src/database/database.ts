import type { Kysely } from 'kysely';

/**
 * The executor every operation takes first: a Kysely instance or a
 * Transaction. Passing the caller's transaction is the whole
 * transactional-outbox seam. Postbox only issues raw SQL through it (CTEs
 * with SKIP LOCKED and unnest), so any Kysely<TheirDB> fits.
 *
 * Structural on purpose, not Kysely's class: kysely ships an ESM and a CJS
 * build with a declaration file each, and its classes carry #private
 * members, so `Kysely` from one is not assignable to `Kysely` from the
 * other. Postbox is CommonJS; an app compiled as ESM gets the ESM
 * declarations. This interface names only what Postbox calls, so both fit
 * (the README's Kysely example, compiled as ESM, caught it).
 */
export interface Executor {
  /** What `sql\`…\`.execute(executor)` calls; `any` because kysely's QueryExecutor type reaches its Kysely class. */
  // biome-ignore lint/suspicious/noExplicitAny: see above — a typed return would bring back the class mismatch
  getExecutor(): any;
  readonly isTransaction: boolean;
  transaction(): TransactionStarter;
}

export interface TransactionStarter {
  execute<T>(callback: (trx: Executor) => Promise<T>): Promise<T>;
}

/**
 * The executor as the full Kysely API, for the few places that need more
 * than raw SQL (a transaction handed to a user's handler, lock-mode's
 * manual transactions). At run time it is the caller's own instance.
 */
// biome-ignore lint/suspicious/noExplicitAny: any Kysely<DB> of the caller's
export function asKysely(executor: Executor): Kysely<any> {
  // biome-ignore lint/suspicious/noExplicitAny: any Kysely<DB> of the caller's
  return executor as unknown as Kysely<any>;
}
