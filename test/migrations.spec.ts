import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsSql, Postbox, runMigrations } from '../libs/core/src';
import { databaseUrl } from './setup/database-url';
import { type TestDatabase, useTestDatabase } from './setup/test-database';

const ROOT = path.resolve(__dirname, '..');

/**
 * Postbox's migrations live beside an app's own: bookkeeping in
 * `<schema>.schema_migrations` (never graphile-migrate's fixed schema), two
 * Postbox schemas in one database, and the whole schema as plain SQL for
 * teams that apply DDL with their own tool.
 */
describe('migrations', () => {
  let db: TestDatabase;
  const bare: string[] = [];
  let admin: pg.Client;

  async function bareDatabase(suffix: string): Promise<string> {
    const name = `${db.name}_${suffix}`;
    await admin.query(`create database ${name}`);
    bare.push(name);
    return databaseUrl(db.serverUrl, name);
  }

  beforeAll(async () => {
    db = await useTestDatabase();
    admin = new pg.Client(db.serverUrl);
    await admin.connect();
  });
  afterAll(async () => {
    for (const name of bare) await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('keeps two Postbox schemas apart in one database, each with its own history', async () => {
    const url = await bareDatabase('two');
    expect(await runMigrations({ connectionString: url, schema: 'alpha' })).toContain('000001.sql');
    expect(await runMigrations({ connectionString: url, schema: 'beta' })).toContain('000001.sql');
    expect(await runMigrations({ connectionString: url, schema: 'alpha' })).toEqual([]);
    const alpha = await Postbox.create({ connectionString: url, schema: 'alpha', maintenance: false });
    const beta = await Postbox.create({ connectionString: url, schema: 'beta', maintenance: false });
    try {
      await alpha.createQueue('jobs');
      await beta.createQueue('jobs');
      await alpha.send('jobs', { body: 'for alpha' });
      expect((await beta.receive('jobs')).length).toBe(0);
      expect((await alpha.receive('jobs')).map((m) => m.body)).toEqual(['for alpha']);
    } finally {
      await alpha.close();
      await beta.close();
    }
    const client = new pg.Client(url);
    await client.connect();
    const { rows } = await client.query(
      `select nspname from pg_namespace where nspname in ('alpha', 'beta', 'graphile_migrate') order by 1`,
    );
    await client.end();
    expect(rows.map((r) => r.nspname)).toEqual(['alpha', 'beta']);
  });

  it("leaves an app's own graphile-migrate bookkeeping alone", async () => {
    const url = await bareDatabase('gm');
    const client = new pg.Client(url);
    await client.connect();
    try {
      // What graphile-migrate creates for the app's own migrations.
      await client.query(`create schema graphile_migrate;
        create table graphile_migrate.migrations (hash text primary key, previous_hash text, filename text not null, date timestamptz not null default now());
        insert into graphile_migrate.migrations (hash, filename) values ('sha1:app', '000001.sql');`);
      await runMigrations({ connectionString: url });
      const { rows } = await client.query('select hash, filename from graphile_migrate.migrations');
      expect(rows).toEqual([{ hash: 'sha1:app', filename: '000001.sql' }]);
      const { rows: ours } = await client.query('select count(*)::int as n from postbox.schema_migrations');
      expect(ours[0].n).toBeGreaterThanOrEqual(5);
      // The app's 000001.sql being applied did not make Postbox skip its own.
      const { rows: tables } = await client.query("select to_regclass('postbox.messages') is not null as exists");
      expect(tables[0].exists).toBe(true);
    } finally {
      await client.end();
    }
  });

  it('refuses a committed migration whose text changed after it was applied', async () => {
    const url = await bareDatabase('changed');
    await runMigrations({ connectionString: url });
    const client = new pg.Client(url);
    await client.connect();
    await client.query(`update postbox.schema_migrations set hash = 'other' where filename = '000002.sql'`);
    await client.end();
    await expect(runMigrations({ connectionString: url })).rejects.toThrow(
      'migration 000002.sql changed after it was applied to schema "postbox"',
    );
  });

  it('prints the schema as plain SQL that a DBA can apply by hand, then works', async () => {
    const url = await bareDatabase('manual');
    const script = execFileSync(
      process.execPath,
      [path.join(ROOT, 'apps/server/dist/cli/main.js'), 'migrations', 'sql', '--schema', 'app_queue'],
      { encoding: 'utf8' },
    );
    expect(script).toBe(migrationsSql({ schema: 'app_queue' }));
    expect(script).not.toContain(':POSTBOX_SCHEMA');
    const client = new pg.Client(url);
    await client.connect();
    try {
      await client.query(script); // as psql -f would, with no Postbox code involved
    } finally {
      await client.end();
    }
    // Nothing left to apply afterwards, and the smoke test passes on it.
    expect(await runMigrations({ connectionString: url, schema: 'app_queue' })).toEqual([]);
    const postbox = await Postbox.create({ connectionString: url, schema: 'app_queue', maintenance: false });
    try {
      await postbox.createQueue('smoke');
      await postbox.send('smoke', { body: { n: 1 } });
      const [message] = await postbox.receive('smoke');
      expect(message.body).toEqual({ n: 1 });
      expect(await postbox.ack('smoke', [message.receipt])).toMatchObject({ acked: 1 });
    } finally {
      await postbox.close();
    }
  });

  it('runs concurrently from many processes without applying anything twice', async () => {
    const url = await bareDatabase('race');
    const results = await Promise.all(Array.from({ length: 4 }, () => runMigrations({ connectionString: url })));
    const applied = results.flat();
    expect(applied.filter((name) => name === '000001.sql')).toHaveLength(1);
  });
});
