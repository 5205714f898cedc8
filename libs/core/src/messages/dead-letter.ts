import { type RawBuilder, sql } from 'kysely';
import type { PostboxTables } from '../database/tables';

/**
 * How a message dies is defined once, in the dead_letter SQL function
 * (migrations/functions/20-dead-letter.sql): the claim's function, psql's
 * nack and this library's nack all call it, so the dead_letters row, the
 * dead-letter queue's headers and the reason text cannot drift apart.
 *
 * This is the call for a statement that has just deleted the message row
 * `row` (put it in that DELETE's RETURNING, so it runs once per row):
 * `attempts` is the count it dies with, `failure` this failure's error (null:
 * the message's last error, else the reason), `leaseExpired` whether its
 * final lease ran out (the reason then says so) rather than a handler failing.
 */
export function deadLetter(
  t: PostboxTables,
  row: RawBuilder<unknown>,
  attempts: RawBuilder<unknown>,
  failure: RawBuilder<unknown>,
  leaseExpired: RawBuilder<unknown>,
): RawBuilder<string | null> {
  return sql<string | null>`${sql.id(t.schema, 'dead_letter')}(${row}, ${attempts}, ${failure}, ${leaseExpired})`;
}
