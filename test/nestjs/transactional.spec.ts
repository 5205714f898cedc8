import type { INestApplication, Provider } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { sql as kyselySql } from 'kysely';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type HandlerContext,
  PostboxClient,
  PostboxModule,
  QueueHandler,
  type ReceivedMessage,
  TransactionChecker,
  type TransactionInfo,
} from '../../libs/nestjs/src';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

describe('PostboxModule: exactly-once handlers and transaction check-back', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  beforeAll(async () => {
    db = await useTestDatabase();
    sql = await db.client();
    await sql.query('create table ledger (message_id text not null, amount int not null)');
    await sql.query('create table accounts (id text primary key)');
  });

  async function boot(providers: Provider[], queues: { name: string; maxAttempts?: number }[]) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        PostboxModule.forRoot({
          connectionString: db.url,
          queues: queues.map((q) => ({ ...q, backoff: { initialMs: 50, maxMs: 100 } })),
          consumerDefaults: { pollIntervalMs: 50 },
          checkback: { pollIntervalMs: 50 },
        }),
      ],
      providers,
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  it('runs an exactlyOnce handler in the transaction of its inbox row and ack: a failed attempt leaves no effect', async () => {
    const contexts: boolean[] = [];
    @Injectable()
    class LedgerHandler {
      @QueueHandler('ledger', { exactlyOnce: true })
      async handle(message: ReceivedMessage, { trx }: HandlerContext) {
        contexts.push(trx !== undefined);
        if (!trx) throw new Error('no transaction');
        await trx
          .insertInto('ledger')
          .values({ message_id: message.id, amount: (message.body as { amount: number }).amount })
          .execute();
        // The effect above is rolled back with the attempt that throws.
        if (message.attempts === 1) throw new Error('transient failure after writing');
      }
    }
    const app = await boot([LedgerHandler], [{ name: 'ledger', maxAttempts: 5 }]);
    try {
      const client = app.get(PostboxClient);
      const { ids } = await client.sendBatch('ledger', [{ body: { amount: 10 } }, { body: { amount: 20 } }]);
      await until(
        async () => (await sql.query("select 1 from postbox.messages where queue = 'ledger'")).rowCount === 0,
        {
          what: 'ledger queue empty',
        },
      );
      const { rows } = await sql.query('select message_id, amount from ledger order by amount');
      expect(rows).toEqual([
        { message_id: ids[0], amount: 10 },
        { message_id: ids[1], amount: 20 },
      ]);
      expect(contexts).toEqual([true, true, true, true]);
      const inbox = await sql.query('select consumer, message_id::text from postbox.inbox order by message_id');
      expect(inbox.rows).toEqual([
        { consumer: 'LedgerHandler.handle', message_id: ids[0] },
        { consumer: 'LedgerHandler.handle', message_id: ids[1] },
      ]);
    } finally {
      await app.close();
    }
  });

  it('names the inbox consumer explicitly and skips a message that consumer already processed', async () => {
    const handled: string[] = [];
    @Injectable()
    class NamedHandler {
      @QueueHandler('named', { exactlyOnce: { consumer: 'billing' } })
      handle(message: ReceivedMessage) {
        handled.push(message.id);
      }
    }
    const app = await boot([NamedHandler], [{ name: 'named' }]);
    try {
      const client = app.get(PostboxClient);
      // A message whose effects "billing" already committed (its inbox row
      // exists) is acked without running the handler again.
      // The inbox row commits with the messages, so the handler cannot see
      // the first one before it (inserting it afterwards raced the consumer).
      const { ids } = await client.transaction(async (trx) => {
        const sent = await client.sendBatch('named', [{ body: 1 }, { body: 2 }], { trx });
        await kyselySql`insert into postbox.inbox (consumer, message_id) values ('billing', ${sent.ids[0]})`.execute(
          trx,
        );
        return sent;
      });
      await until(async () => (await client.getQueueStats('named')).ready === 0 && handled.length >= 1);
      await until(async () => (await sql.query("select 1 from postbox.messages where queue = 'named'")).rowCount === 0);
      expect(handled).toEqual([ids[1]]);
    } finally {
      await app.close();
    }
  });

  it('answers check-backs for half messages with a @TransactionChecker method', async () => {
    const asked: string[] = [];
    const delivered: unknown[] = [];
    @Injectable()
    class AccountsChecker {
      constructor(private readonly postbox: PostboxClient) {}
      // Commit the half message if the account it announces exists.
      @TransactionChecker('accounts')
      async check(transaction: TransactionInfo) {
        asked.push(transaction.transactionId);
        const id = (transaction.message.body as { account: string }).account;
        const found = await this.postbox.db.selectFrom('accounts').select('id').where('id', '=', id).execute();
        return found.length > 0 ? 'commit' : 'rollback';
      }
      @QueueHandler('accounts')
      handle(message: ReceivedMessage) {
        delivered.push(message.body);
      }
    }
    const app = await boot([AccountsChecker], [{ name: 'accounts' }]);
    try {
      const client = app.get(PostboxClient);
      await sql.query("insert into accounts (id) values ('a-1')");
      const kept = await client.prepare({ queue: 'accounts' }, { body: { account: 'a-1' } }, { checkAfterMs: 0 });
      const dropped = await client.prepare({ queue: 'accounts' }, { body: { account: 'a-2' } }, { checkAfterMs: 0 });
      await until(
        async () => {
          const states = await Promise.all([client.getTransaction(kept), client.getTransaction(dropped)]);
          return states.every((t) => t.state !== 'prepared');
        },
        { what: 'both transactions resolved by check-back' },
      );
      expect((await client.getTransaction(kept)).state).toBe('committed');
      expect((await client.getTransaction(dropped)).state).toBe('rolledBack');
      expect(asked.sort()).toEqual([kept, dropped].sort());
      await until(() => delivered.length === 1, { what: 'committed half message delivered' });
      expect(delivered).toEqual([{ account: 'a-1' }]);
    } finally {
      await app.close();
    }
  });

  it('commits and rolls back half messages from the producer side', async () => {
    const delivered: unknown[] = [];
    @Injectable()
    class Receiver {
      @QueueHandler('half')
      handle(message: ReceivedMessage) {
        delivered.push(message.body);
      }
    }
    const app = await boot([Receiver], [{ name: 'half' }]);
    try {
      const client = app.get(PostboxClient);
      const yes = await client.prepare({ queue: 'half' }, { body: 'yes' });
      const no = await client.prepare({ queue: 'half' }, { body: 'no' });
      expect((await client.getTransaction(yes)).state).toBe('prepared');
      await client.rollbackTransaction(no);
      await client.commitTransaction(yes);
      await client.commitTransaction(yes);
      await until(() => delivered.length === 1);
      await client.send('half', { body: 'marker' });
      await until(() => delivered.length === 2);
      expect(delivered).toEqual(['yes', 'marker']);
    } finally {
      await app.close();
    }
  });
});
