import type { INestApplication, Provider } from '@nestjs/common';
import { Body, Controller, Injectable, Module, Post, Scope } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PostboxClient,
  PostboxExplorer,
  PostboxModule,
  QueueHandler,
  type ReceivedMessage,
} from '../../libs/nestjs/src';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

/** Records what handlers saw, per application: no static state in the module under test. */
@Injectable()
class Seen {
  readonly bodies: unknown[] = [];
}

@Injectable()
class InboxHandler {
  constructor(private readonly seen: Seen) {}

  @QueueHandler('inbox', { concurrency: 2 })
  handle(message: ReceivedMessage) {
    this.seen.bodies.push(message.body);
  }
}

@Injectable()
class LockedInboxHandler {
  constructor(private readonly seen: Seen) {}

  @QueueHandler('locked-inbox', { claimMode: 'lock', batchSize: 50 })
  handle(message: ReceivedMessage) {
    // A lock-mode delivery has no lease: its "end" is the far future.
    if (message.leaseExpiresAt.getFullYear() > 9999) this.seen.bodies.push(message.body);
  }
}

describe('PostboxModule', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  beforeAll(async () => {
    db = await useTestDatabase();
    sql = await db.client();
  });

  async function boot(
    imports: Parameters<typeof Test.createTestingModule>[0]['imports'],
    providers: Provider[] = [Seen, InboxHandler],
  ) {
    const moduleRef = await Test.createTestingModule({ imports, providers }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  }

  it("passes claimMode 'lock' from @QueueHandler and consumerDefaults to the consumer", async () => {
    const app = await boot(
      [
        PostboxModule.forRoot({
          connectionString: db.url,
          queues: [{ name: 'locked-inbox' }],
          consumerDefaults: { claimMode: 'lease' },
        }),
      ],
      [Seen, LockedInboxHandler],
    );
    try {
      const client = app.get(PostboxClient);
      await client.sendBatch(
        'locked-inbox',
        Array.from({ length: 100 }, (_, i) => ({ body: i })),
      );
      const seen = app.get(Seen);
      await until(() => seen.bodies.length === 100);
      const [running] = app.get(PostboxExplorer).runningConsumers;
      await until(() => running?.consumer.stats.acked === 100);
      const { rows } = await sql.query(`select count(*)::int as n from postbox.messages where queue = 'locked-inbox'`);
      expect(rows[0].n).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('boots with forRoot, creates declared queues, discovers a handler and runs it', async () => {
    const app = await boot([
      PostboxModule.forRoot({ connectionString: db.url, queues: [{ name: 'inbox', maxAttempts: 3 }] }),
    ]);
    try {
      const client = app.get(PostboxClient);
      expect((await client.getQueue('inbox')).maxAttempts).toBe(3);
      expect(app.get(PostboxExplorer).runningConsumers.map((c) => c.name)).toEqual(['InboxHandler.handle']);
      await client.sendBatch('inbox', [{ body: 'a' }, { body: 'b' }]);
      const seen = app.get(Seen);
      await until(() => seen.bodies.length === 2, { what: 'both messages handled' });
      expect([...seen.bodies].sort()).toEqual(['a', 'b']);
    } finally {
      await app.close();
    }
    const { rows } = await sql.query("select count(*)::int as n from postbox.messages where queue = 'inbox'");
    expect(rows[0].n).toBe(0);
  });

  it('boots with forRootAsync, options from an injected provider of an imported module', async () => {
    @Injectable()
    class DatabaseConfig {
      readonly url = db.url;
    }
    @Module({ providers: [DatabaseConfig], exports: [DatabaseConfig] })
    class ConfigModule {}

    const app = await boot([
      PostboxModule.forRootAsync({
        imports: [ConfigModule],
        inject: [DatabaseConfig],
        useFactory: async (config: DatabaseConfig) => ({
          connectionString: config.url,
          queues: [{ name: 'inbox', maxAttempts: 3 }],
          consumerDefaults: { batchSize: 5 },
        }),
      }),
    ]);
    try {
      await app.get(PostboxClient).send('inbox', { body: 'async' });
      const seen = app.get(Seen);
      await until(() => seen.bodies.includes('async'), { what: 'message handled' });
    } finally {
      await app.close();
    }
  });

  it('runs two applications in one process, each with its own client and handlers', async () => {
    @Injectable()
    class OtherHandler {
      constructor(private readonly seen: Seen) {}
      @QueueHandler('other')
      handle(message: ReceivedMessage) {
        this.seen.bodies.push(message.body);
      }
    }
    const first = await boot([
      PostboxModule.forRoot({ connectionString: db.url, queues: [{ name: 'inbox', maxAttempts: 3 }] }),
    ]);
    const second = await boot(
      [PostboxModule.forRoot({ connectionString: db.url, queues: [{ name: 'other' }] })],
      [Seen, OtherHandler],
    );
    try {
      expect(first.get(PostboxClient)).not.toBe(second.get(PostboxClient));
      await first.get(PostboxClient).send('other', { body: 'for second' });
      await second.get(PostboxClient).send('inbox', { body: 'for first' });
      await until(() => first.get(Seen).bodies.length === 1 && second.get(Seen).bodies.length === 1);
      expect(first.get(Seen).bodies).toEqual(['for first']);
      expect(second.get(Seen).bodies).toEqual(['for second']);
      // Closing one leaves the other running.
      await first.close();
      await second.get(PostboxClient).send('other', { body: 'still running' });
      await until(() => second.get(Seen).bodies.length === 2, { what: 'second app still consuming' });
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('shares the application pool and Kysely instance, leaving them open after close', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 4 });
    const kysely = new Kysely<{ notes: { text: string } }>({ dialect: new PostgresDialect({ pool }) });
    try {
      await sql.query('create table notes (text text not null)');
      const app = await boot([
        PostboxModule.forRoot({ db: kysely, pool, queues: [{ name: 'inbox', maxAttempts: 3 }] }),
      ]);
      const client = app.get(PostboxClient);
      try {
        expect(client.db).toBe(kysely);
        // The outbox: the note and the message commit together, or neither does.
        await expect(
          kysely.transaction().execute(async (trx) => {
            await trx.insertInto('notes').values({ text: 'rolled back' }).execute();
            await client.send('inbox', { body: 'rolled back' }, { trx });
            throw new Error('abort');
          }),
        ).rejects.toThrow('abort');
        await kysely.transaction().execute(async (trx) => {
          await trx.insertInto('notes').values({ text: 'committed' }).execute();
          await client.send('inbox', { body: 'committed' }, { trx });
        });
        const seen = app.get(Seen);
        await until(() => seen.bodies.length === 1, { what: 'committed message handled' });
        // Give a rolled-back message every chance to show up: one more message goes through after it.
        await client.send('inbox', { body: 'after' });
        await until(() => seen.bodies.length === 2);
        expect(seen.bodies).toEqual(['committed', 'after']);
      } finally {
        await app.close();
      }
      const notes = await kysely.selectFrom('notes').select('text').execute();
      expect(notes).toEqual([{ text: 'committed' }]);
    } finally {
      await kysely.destroy();
    }
  });

  it('turns a throwing handler into nacks with backoff, records the error, then dead-letters', async () => {
    const attempts: number[] = [];
    @Injectable()
    class FailingHandler {
      @QueueHandler('failing', { pollIntervalMs: 50 })
      handle(message: ReceivedMessage) {
        attempts.push(message.attempts);
        throw new Error(`card declined (attempt ${message.attempts})`);
      }
    }
    const app = await boot(
      [
        PostboxModule.forRoot({
          connectionString: db.url,
          queues: [{ name: 'failing', maxAttempts: 3, backoff: { initialMs: 100, maxMs: 200 } }],
        }),
      ],
      [FailingHandler],
    );
    try {
      const client = app.get(PostboxClient);
      const { id } = await client.send('failing', { body: { orderId: 1 } });
      await until(async () => (await client.peek('failing', 'dead')).length === 1, { what: 'dead letter' });
      expect(attempts).toEqual([1, 2, 3]);
      const { rows } = await sql.query('select attempts, last_error from postbox.dead_letters where id = $1', [id]);
      expect(rows[0].attempts).toBe(3);
      expect(rows[0].last_error).toContain('card declined (attempt 3)');
    } finally {
      await app.close();
    }
  });

  it('fails to boot, naming the handler, when its queue does not exist, and leaves nothing open', async () => {
    @Injectable()
    class LostHandler {
      @QueueHandler('no-such-queue')
      handle() {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [PostboxModule.forRoot({ connectionString: db.url })],
      providers: [LostHandler],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(
      `@QueueHandler('no-such-queue') on LostHandler.handle could not start: queue "no-such-queue" does not exist`,
    );
    await app.close();
  });

  it('refuses to boot when a declared queue exists with other settings', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [PostboxModule.forRoot({ connectionString: db.url, queues: [{ name: 'inbox', maxAttempts: 4 }] })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow('ensureQueue("inbox"): queue "inbox" already exists with other settings');
    await app.close();
  });

  it('starts no handlers with startHandlers: false, but still serves the client', async () => {
    const app = await boot([
      PostboxModule.forRoot({
        connectionString: db.url,
        startHandlers: false,
        queues: [{ name: 'inbox', maxAttempts: 3 }],
      }),
    ]);
    try {
      expect(app.get(PostboxExplorer).runningConsumers).toEqual([]);
      const client = app.get(PostboxClient);
      const { id } = await client.send('inbox', { body: 'stays' });
      const [received] = await client.receive('inbox', { max: 1 });
      expect(received?.id).toBe(id);
      await client.ack('inbox', [received?.receipt as string]);
      expect(app.get(Seen).bodies).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('refuses a handler on a request-scoped provider', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerRequestHandler {
      @QueueHandler('inbox')
      handle() {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [PostboxModule.forRoot({ connectionString: db.url, queues: [{ name: 'inbox', maxAttempts: 3 }] })],
      providers: [PerRequestHandler],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toThrow(
      'PerRequestHandler.handle: Postbox handlers must live on singleton providers, not request-scoped or transient ones',
    );
    await app.close();
  });

  it('refuses a connection-less configuration with a clear error', async () => {
    await expect(Test.createTestingModule({ imports: [PostboxModule.forRoot({})] }).compile()).rejects.toThrow(
      'PostboxModule needs a connection',
    );
  });

  describe.each([
    ['Express', () => undefined],
    ['Fastify', () => new FastifyAdapter()],
  ])('over HTTP with the %s adapter', (_name, adapter) => {
    let app: INestApplication;
    afterAll(async () => {
      await app?.close();
    });

    it('sends from a controller inside a transaction; the handler gets it after commit', async () => {
      const queue = `http-${_name.toLowerCase()}`;
      await sql.query(`create table if not exists signups_${_name.toLowerCase()} (email text primary key)`);

      @Injectable()
      class WelcomeHandler {
        constructor(private readonly seen: Seen) {}
        @QueueHandler(queue)
        handle(message: ReceivedMessage) {
          this.seen.bodies.push(message.body);
        }
      }
      @Controller('signups')
      class SignupController {
        constructor(private readonly postbox: PostboxClient) {}
        @Post()
        async signUp(@Body() body: { email: string }) {
          return this.postbox.transaction(async (trx) => {
            await trx.insertInto(`signups_${_name.toLowerCase()}`).values({ email: body.email }).execute();
            return this.postbox.send(queue, { body: { welcome: body.email } }, { trx });
          });
        }
      }
      const moduleRef = await Test.createTestingModule({
        imports: [PostboxModule.forRoot({ connectionString: db.url, queues: [{ name: queue }] })],
        controllers: [SignupController],
        providers: [Seen, WelcomeHandler],
      }).compile();
      const httpAdapter = adapter();
      app = httpAdapter
        ? moduleRef.createNestApplication(httpAdapter, { logger: false })
        : moduleRef.createNestApplication({ logger: false });
      await app.listen(0, '127.0.0.1');
      expect(app.getHttpAdapter().getType()).toBe(_name.toLowerCase());
      const url = await app.getUrl();
      const created = await fetch(`${url}/signups`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@example.com' }),
      });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ id: expect.any(String), duplicate: false });
      // A duplicate email violates the primary key: the transaction rolls back, no message.
      const duplicate = await fetch(`${url}/signups`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ada@example.com' }),
      });
      expect(duplicate.status).toBe(500);
      const seen = app.get(Seen);
      await until(() => seen.bodies.length === 1, { what: 'welcome handled' });
      // The ack follows the handler: wait for it, then nothing of the queue is left (the rolled-back send never existed).
      await until(
        async () => (await sql.query('select 1 from postbox.messages where queue = $1', [queue])).rowCount === 0,
        { what: 'welcome acked' },
      );
      expect(seen.bodies).toEqual([{ welcome: 'ada@example.com' }]);
    });
  });
});
