import { sql } from 'kysely';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { sendWithPgClient } from '../../libs/core/src/messages/send-with-pg-client';
import type { Postbox } from '../../libs/core/src/postbox';
import { openTestPostbox, type TestDatabase } from '../setup/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('transactional outbox', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let client: pg.Client;

  beforeAll(async () => {
    ({ db, postbox, client } = await openTestPostbox());
    await client.query('create table outbox_orders (id int primary key, total int not null)');
  });

  async function messageCount(queue: string): Promise<number> {
    const { rows } = await client.query('select count(*)::int as n from postbox.messages where queue = $1', [queue]);
    return rows[0].n;
  }

  describe('with a Kysely transaction', () => {
    it('commit: the order and its message exist, and the message is delivered once', async () => {
      await postbox.createQueue('ob-commit');
      await postbox.db.transaction().execute(async (trx) => {
        await sql`insert into outbox_orders values (1, 100)`.execute(trx);
        await postbox.send('ob-commit', { body: { orderId: 1 } }, { trx });
        await postbox.sendBatch('ob-commit', [{ body: { orderId: 1, line: 1 } }, { body: { orderId: 1, line: 2 } }], {
          trx,
        });
      });
      const { rows } = await client.query('select total from outbox_orders where id = 1');
      expect(rows).toEqual([{ total: 100 }]);
      const received = await postbox.receive('ob-commit', { max: 10 });
      expect(received.map((m) => m.body)).toEqual([{ orderId: 1 }, { orderId: 1, line: 1 }, { orderId: 1, line: 2 }]);
      await postbox.ack(
        'ob-commit',
        received.map((m) => m.receipt),
      );
      expect(await postbox.receive('ob-commit', { max: 10 })).toEqual([]);
      expect(await messageCount('ob-commit')).toBe(0);
    });

    it('rollback: neither the order nor the message ever exists', async () => {
      await postbox.createQueue('ob-rollback');
      await expect(
        postbox.db.transaction().execute(async (trx) => {
          await sql`insert into outbox_orders values (2, 200)`.execute(trx);
          await postbox.send('ob-rollback', { body: { orderId: 2 } }, { trx });
          throw new Error('payment declined');
        }),
      ).rejects.toThrow('payment declined');
      expect((await client.query('select * from outbox_orders where id = 2')).rows).toEqual([]);
      expect(await messageCount('ob-rollback')).toBe(0);
      expect(await postbox.receive('ob-rollback', { max: 10 })).toEqual([]);
    });

    it('interleaved: a claim on another connection before commit sees nothing; after commit it gets the message', async () => {
      await postbox.createQueue('ob-interleaved');
      const trx = await postbox.db.startTransaction().execute();
      const { id } = await postbox.send('ob-interleaved', { body: 'pending' }, { trx });
      // B: another pooled connection, and a raw client, both see nothing yet.
      expect(await postbox.receive('ob-interleaved', { max: 10 })).toEqual([]);
      expect(await messageCount('ob-interleaved')).toBe(0);
      // A long poll that is waiting when the transaction commits is woken by it.
      const waiting = postbox.receive('ob-interleaved', { max: 10, waitMs: 30_000 });
      await sleep(100);
      await trx.commit().execute();
      const received = await waiting;
      expect(received.map((m) => m.id)).toEqual([id]);
      expect(await postbox.receive('ob-interleaved', { max: 10 })).toEqual([]);
    });

    it('the wake-up NOTIFY fires at commit, not before', async () => {
      await postbox.createQueue('ob-notify');
      const listener = await db.client();
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.payload ?? ''));
      await listener.query('listen "postbox.wakeup"');
      const trx = await postbox.db.startTransaction().execute();
      await postbox.send('ob-notify', { body: 1 }, { trx });
      // A round trip on the listening connection delivers anything already sent.
      await listener.query('select 1');
      await sleep(200);
      await listener.query('select 1');
      expect(heard).not.toContain('ob-notify');
      await trx.commit().execute();
      const deadline = Date.now() + 30_000;
      while (!heard.includes('ob-notify') && Date.now() < deadline) await sleep(20);
      expect(heard).toContain('ob-notify');
    });
  });

  describe('with a plain pg client inside BEGIN', () => {
    it('commit: visible once, and only after the commit', async () => {
      await postbox.createQueue('ob-pg-commit');
      const own = new pg.Client(db.url);
      await own.connect();
      try {
        await own.query('begin');
        await own.query('insert into outbox_orders values (3, 300)');
        const { ids, duplicates } = await sendWithPgClient(own, 'ob-pg-commit', [
          { body: 'a' },
          { body: 'b', dedupKey: 'b-1' },
        ]);
        expect(ids).toHaveLength(2);
        expect(duplicates).toEqual([]);
        expect(await postbox.receive('ob-pg-commit', { max: 10 })).toEqual([]);
        await own.query('commit');
        const received = await postbox.receive('ob-pg-commit', { max: 10 });
        expect(received.map((m) => m.id)).toEqual(ids);
        expect(received.map((m) => m.body)).toEqual(['a', 'b']);
        await postbox.ack(
          'ob-pg-commit',
          received.map((m) => m.receipt),
        );
        expect(await postbox.receive('ob-pg-commit', { max: 10 })).toEqual([]);
      } finally {
        await own.end();
      }
    });

    it('rollback: never visible; the client is still usable', async () => {
      await postbox.createQueue('ob-pg-rollback');
      const own = new pg.Client(db.url);
      await own.connect();
      try {
        await own.query('begin');
        await sendWithPgClient(own, 'ob-pg-rollback', [{ body: 'ghost' }]);
        await own.query('rollback');
        expect(await messageCount('ob-pg-rollback')).toBe(0);
        expect(await postbox.receive('ob-pg-rollback', { max: 10 })).toEqual([]);
        // Outside a transaction the send commits by itself.
        const { ids } = await sendWithPgClient(own, 'ob-pg-rollback', [{ body: 'real' }]);
        expect((await postbox.receive('ob-pg-rollback', { max: 10 })).map((m) => m.id)).toEqual(ids);
      } finally {
        await own.end();
      }
    });

    it('a pooled client works too, and an unknown queue fails the statement', async () => {
      const pool = new pg.Pool({ connectionString: db.url, max: 1 });
      const pooled = await pool.connect();
      try {
        await pooled.query('begin');
        await expect(sendWithPgClient(pooled, 'ob-missing', [{ body: 1 }])).rejects.toThrow(
          'queue "ob-missing" does not exist',
        );
        await pooled.query('rollback');
      } finally {
        pooled.release();
        await pool.end();
      }
    });
  });
});
