import type pg from 'pg';
import type { Postbox } from '../../libs/core/src/index';

type QueueOptions = Parameters<Postbox['createQueue']>[1];

/**
 * A new queue per test (`<prefix>-0`, `<prefix>-1`, …), so specs sharing one
 * database never see each other's messages. `postbox` is read at call time:
 * specs open it in beforeAll.
 */
export function freshQueues(prefix: string, postbox: () => Postbox): (options?: QueueOptions) => Promise<string> {
  let n = 0;
  return async (options = {}) => {
    const queue = `${prefix}-${n++}`;
    await postbox().createQueue(queue, options);
    return queue;
  };
}

/** A queue's rows as the exact-outcome specs compare them: body text, attempts, leased or not, last error; in id order. */
export async function messageRows(client: pg.Client, queue: string) {
  const { rows } = await client.query(
    `select body #>> '{}' as body, attempts, lease_token is not null as leased, last_error
     from postbox.messages where queue = $1 order by id`,
    [queue],
  );
  return rows;
}
