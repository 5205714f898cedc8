import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostboxClient, PostboxModule, QueueHandler, type ReceivedMessage } from '../../libs/nestjs/src';
import { databaseUrl } from '../setup/database-url';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

/**
 * migrate: true on an EMPTY database, into a schema of the app's choosing.
 * (The template every other test clones is migrated already, and
 * graphile-migrate keeps one bookkeeping schema per database, so this file
 * makes its own bare database.)
 */
describe('PostboxModule: migrate on start, custom schema', () => {
  let db: TestDatabase;
  let bareName: string;
  let bareUrl: string;
  beforeAll(async () => {
    db = await useTestDatabase();
    bareName = `${db.name}_bare`;
    bareUrl = databaseUrl(db.serverUrl, bareName);
    const admin = new pg.Client(db.serverUrl);
    await admin.connect();
    await admin.query(`create database ${bareName}`);
    await admin.end();
  });
  afterAll(async () => {
    const admin = new pg.Client(db.serverUrl);
    await admin.connect();
    // A backend leaves pg_stat_activity a moment after its client ends (one
    // was still listed right after close once, at load 16): ask again for up
    // to 5 s before judging.
    const count = async () =>
      (await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1', [bareName])).rows;
    let rows = await count();
    for (let i = 0; i < 50 && rows[0].n > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      rows = await count();
    }
    await admin.query(`drop database if exists ${bareName} with (force)`);
    await admin.end();
    // Everything the app opened on the bare database was closed by app.close().
    expect(rows[0].n).toBe(0);
  });

  it('applies the migrations into the given schema and runs handlers there', async () => {
    const seen: unknown[] = [];
    @Injectable()
    class JobsHandler {
      @QueueHandler('jobs')
      handle(message: ReceivedMessage) {
        seen.push(message.body);
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [
        PostboxModule.forRoot({
          connectionString: bareUrl,
          schema: 'jobs_box',
          migrate: true,
          queues: [{ name: 'jobs' }],
        }),
      ],
      providers: [JobsHandler],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    const sql = new pg.Client(bareUrl);
    await sql.connect();
    try {
      await app.get(PostboxClient).send('jobs', { body: 'in jobs_box' });
      await until(() => seen.length === 1);
      const { rows } = await sql.query(
        "select nspname from pg_namespace where nspname in ('jobs_box', 'postbox') order by nspname",
      );
      expect(rows).toEqual([{ nspname: 'jobs_box' }]);
      const queues = await sql.query('select name from jobs_box.queues');
      expect(queues.rows).toEqual([{ name: 'jobs' }]);
    } finally {
      await sql.end();
      await app.close();
    }
  });
});
