import type { INestApplication } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostboxClient, PostboxModule, QueueHandler, type ReceivedMessage } from '../../libs/nestjs/src';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

const TOTAL = 200;
const EFFECTS_SQL = 'EFFECTS_SQL';

/**
 * The handler's effect is a row per delivery (no unique constraint, so a
 * double delivery would show up as a count of 2), written at the END of a
 * handler that takes a while: app.close() lands while handlers run and while
 * claimed messages wait in the consumer's buffer.
 */
@Injectable()
class SlowHandler {
  constructor(
    @Inject(EFFECTS_SQL) private readonly sql: pg.Pool,
    @Inject('APP') private readonly app: string,
  ) {}

  @QueueHandler('drain', { concurrency: 4, batchSize: 20 })
  async handle(message: ReceivedMessage) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    await this.sql.query('insert into effects (message_id, app) values ($1, $2)', [message.id, this.app]);
  }
}

describe('shutdown drains the handlers', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  let effectsPool: pg.Pool;
  beforeAll(async () => {
    db = await useTestDatabase();
    sql = await db.client();
    effectsPool = new pg.Pool({ connectionString: db.url, max: 4 });
    await sql.query('create table effects (message_id bigint not null, app text not null)');
  });
  afterAll(async () => {
    await effectsPool.end();
  });

  async function boot(app: string): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        // A long lease: a message left claimed by the closed app would stay
        // invisible for the rest of the test, and the counts below would miss it.
        PostboxModule.forRoot({ connectionString: db.url, queues: [{ name: 'drain', visibilityTimeoutMs: 600_000 }] }),
      ],
      providers: [SlowHandler, { provide: EFFECTS_SQL, useValue: effectsPool }, { provide: 'APP', useValue: app }],
    }).compile();
    const nest = moduleRef.createNestApplication({ logger: false });
    await nest.init();
    return nest;
  }

  const effectCount = async () => (await sql.query('select count(*)::int as n from effects')).rows[0].n as number;

  it('loses nothing and processes nothing twice across app.close() in the middle of a batch', async () => {
    const first = await boot('first');
    const ids = (
      await first.get(PostboxClient).sendBatch(
        'drain',
        Array.from({ length: TOTAL }, (_, i) => ({ body: i })),
      )
    ).ids;
    await until(async () => (await effectCount()) >= 30, { what: '30 effects' });
    await first.close();

    // Right after close: every message is either done (effect written AND
    // acked, gone from the queue) or back to ready, none left leased.
    const afterClose = await sql.query(`
      select
        (select count(*)::int from effects) as effects,
        (select count(*)::int from postbox.messages where queue = 'drain' and postbox.message_state(available_at, leased_until, lease_token) = 'ready') as ready,
        (select count(*)::int from postbox.messages where queue = 'drain' and postbox.message_state(available_at, leased_until, lease_token) = 'inFlight') as leased,
        (select count(*)::int from effects e join postbox.messages m on m.id = e.message_id) as effected_but_not_acked`);
    const { effects, ready, leased, effected_but_not_acked } = afterClose.rows[0];
    expect({ leased, effected_but_not_acked }).toEqual({ leased: 0, effected_but_not_acked: 0 });
    expect(effects + ready).toBe(TOTAL);
    expect(effects).toBeLessThan(TOTAL);

    const second = await boot('second');
    try {
      await until(async () => (await effectCount()) >= TOTAL, { what: 'all effects' });
      await until(async () => (await second.get(PostboxClient).getQueueStats('drain')).inFlight === 0);
    } finally {
      await second.close();
    }
    const { rows } = await sql.query(
      'select message_id::text as id, count(*)::int as n from effects group by message_id order by message_id',
    );
    expect(rows.map((r) => r.id)).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    const byApp = await sql.query('select app, count(*)::int as n from effects group by app order by app');
    expect(byApp.rows.map((r) => r.app)).toEqual(['first', 'second']);
    const { rows: left } = await sql.query("select count(*)::int as n from postbox.messages where queue = 'drain'");
    expect(left[0].n).toBe(0);
  });
});
