import { Test } from '@nestjs/testing';
import type pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { PostboxClient, PostboxModule } from '../../libs/nestjs/src';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

describe('PostboxModule: schedules declared in forRoot', () => {
  let db: TestDatabase;
  let sql: pg.Client;
  beforeAll(async () => {
    db = await useTestDatabase();
    sql = await db.client();
  });

  const appWith = async (schedule: Record<string, unknown>) => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        PostboxModule.forRoot({
          connectionString: db.url,
          queues: [{ name: 'nest-ticks' }],
          schedules: [
            { name: 'nest-every', queue: 'nest-ticks', everyMs: 200, message: { body: 'tick' }, ...schedule },
          ],
          maintenance: { schedules: { pollMs: 100 } },
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    return app;
  };

  it("creates the schedule at bootstrap and the module's maintenance enqueues its ticks", async () => {
    const app = await appWith({});
    try {
      const client = app.get(PostboxClient);
      expect(await client.getSchedule('nest-every')).toMatchObject({ queue: 'nest-ticks', everyMs: 200 });
      await until(
        async () =>
          (await sql.query("select count(*)::int as n from postbox.messages where queue = 'nest-ticks'")).rows[0].n >=
          3,
        { what: 'three ticks' },
      );
      const { rows } = await sql.query("select headers from postbox.messages where queue = 'nest-ticks' order by id");
      expect(rows[0].headers).toMatchObject({ 'x-postbox-schedule': 'nest-every' });
      expect(Date.parse(rows[0].headers['x-postbox-schedule-tick']) % 200).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('refuses to boot when the declared schedule exists with other settings', async () => {
    await expect(appWith({ everyMs: 300 })).rejects.toThrow(
      'ensureSchedule("nest-every"): schedule "nest-every" already exists with other settings',
    );
  });
});
