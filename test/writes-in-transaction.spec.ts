import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../libs/core/src/index';
import { openTestPostbox } from './setup/test-database';

class Rollback extends Error {}

/** Issue 12 item 4: every write takes `{ trx }` and commits with the caller's transaction, or not at all. */
describe('writes inside the caller’s transaction', () => {
  let postbox: Postbox;
  let sql: pg.Client;
  beforeAll(async () => {
    const opened = await openTestPostbox();
    postbox = opened.postbox;
    sql = await opened.db.client();
  });

  async function rolledBack(work: (trx: Parameters<Parameters<Postbox['transaction']>[0]>[0]) => Promise<unknown>) {
    await expect(
      postbox.transaction(async (trx) => {
        await work(trx);
        throw new Rollback();
      }),
    ).rejects.toBeInstanceOf(Rollback);
  }

  it('an ack in a rolled-back transaction acks nothing; committed, it acks', async () => {
    await postbox.createQueue('tx-ack');
    await postbox.send('tx-ack', { body: 'work' });
    const [message] = await postbox.receive('tx-ack');
    await rolledBack((trx) => postbox.ack('tx-ack', [message?.receipt as string], { trx }));
    expect((await sql.query("select count(*)::int as n from postbox.messages where queue = 'tx-ack'")).rows[0].n).toBe(
      1,
    );
    const result = await postbox.transaction((trx) => postbox.ack('tx-ack', [message?.receipt as string], { trx }));
    expect(result).toMatchObject({ acked: 1 });
    expect((await sql.query("select count(*)::int as n from postbox.messages where queue = 'tx-ack'")).rows[0].n).toBe(
      0,
    );
  });

  it('queue, topic and schedule writes and a nack roll back with the transaction', async () => {
    await postbox.createQueue('tx-nack');
    await postbox.send('tx-nack', { body: 'x' });
    const [message] = await postbox.receive('tx-nack');
    await rolledBack(async (trx) => {
      await postbox.createQueue('tx-made', {}, { trx });
      await postbox.createTopic('tx-topic', {}, { trx });
      await postbox.createSchedule('tx-tick', { queue: 'tx-made', everyMs: 60_000, message: { body: 1 } }, { trx });
      await postbox.nack('tx-nack', [{ receipt: message?.receipt as string, error: 'nope' }], { trx });
    });
    const { rows } = await sql.query(`select
      (select count(*)::int from postbox.queues where name = 'tx-made') as queues,
      (select count(*)::int from postbox.topics where name = 'tx-topic') as topics,
      (select count(*)::int from postbox.schedules where name = 'tx-tick') as schedules,
      (select last_error from postbox.messages where queue = 'tx-nack') as last_error`);
    expect(rows[0]).toEqual({ queues: 0, topics: 0, schedules: 0, last_error: null });
  });
});
