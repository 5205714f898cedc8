import type { Kysely } from 'kysely';

/**
 * The executor every operation takes first: a Kysely instance or a
 * Transaction (which extends Kysely). Passing the caller's transaction is the
 * whole transactional-outbox seam. Typed loosely on purpose: a user's
 * Kysely<TheirDB> works here too, because Postbox only issues raw SQL through
 * it (CTEs with SKIP LOCKED and unnest, which the query builder would only
 * obscure), so there is no Postbox table interface to keep in step.
 */
// biome-ignore lint/suspicious/noExplicitAny: any Kysely<DB> of the caller's must fit
export type Executor = Kysely<any>;
