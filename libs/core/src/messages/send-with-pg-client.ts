import { Kysely, PostgresDialect } from 'kysely';
import type { ClientBase } from 'pg';
import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import type { OutgoingMessage } from './message';
import { type SendResult, sendBatch } from './send';

/**
 * An executor that runs every statement on one plain `pg` client (never
 * released, never ended): the outbox seam for code that manages its own
 * transactions with `client.query('BEGIN')` instead of Kysely. Any core
 * operation accepts it as its executor.
 */
export function executorForPgClient(client: ClientBase): Executor {
  return new Kysely({
    dialect: new PostgresDialect({
      pool: {
        connect: async () => ({
          query: client.query.bind(client) as never,
          release: () => {},
        }),
        end: async () => {},
      },
    }),
  });
}

/**
 * The transactional outbox for plain `pg` users: inside `BEGIN`, the
 * messages exist if and only if the client's transaction commits. The
 * wake-up NOTIFY goes over the same client, so Postgres delivers it at that
 * commit (or drops it on rollback); outside a transaction the statement
 * commits at once and so does the NOTIFY.
 */
export function sendWithPgClient(
  client: ClientBase,
  queue: string,
  messages: readonly OutgoingMessage[],
  { schema }: SchemaOption = {},
): Promise<SendResult> {
  return sendBatch(executorForPgClient(client), queue, messages, { schema });
}
