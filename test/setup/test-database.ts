import pg from 'pg';
import { afterAll, expect, inject } from 'vitest';
import { Postbox, type PostboxOptions } from '../../libs/core/src/postbox';
import { databaseUrl } from './database-url';

export interface TestDatabase {
  name: string;
  url: string;
  serverUrl: string;
  /** A Postbox on this database; closed (and checked for leaks) after the file. */
  postbox(options?: Partial<PostboxOptions>): Promise<Postbox>;
  /** A raw client for assertions; ended after the file. */
  client(): Promise<pg.Client>;
}

let counter = 0;

/**
 * Gives the calling test file its own database, cloned from the migrated
 * template, and after the file checks that nothing it opened is still
 * connected: every Postbox, pool, listener and consumer must have been closed.
 */
export async function useTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('pgServerUrl');
  const name = `postbox_t_${process.pid}_${counter++}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client(serverUrl);
  await admin.connect();
  await admin.query(`create database ${name} template ${inject('templateDatabase')}`);
  await admin.end();
  const url = databaseUrl(serverUrl, name);
  const postboxes: Postbox[] = [];
  const clients: pg.Client[] = [];

  afterAll(async () => {
    await Promise.all(postboxes.map((p) => p.close({ timeoutMs: 5_000 })));
    await Promise.all(clients.map((c) => c.end().catch(() => {})));
    const check = new pg.Client(serverUrl);
    await check.connect();
    try {
      // Give ended sockets a moment to be noticed by the server.
      let leaked: unknown[] = [];
      for (let i = 0; i < 50; i++) {
        ({ rows: leaked } = await check.query(
          'select pid, application_name, state, query from pg_stat_activity where datname = $1',
          [name],
        ));
        if (leaked.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(leaked, 'connections left open by the test file').toEqual([]);
    } finally {
      await check.query(`drop database if exists ${name} with (force)`).catch(() => {});
      await check.end();
    }
  });

  return {
    name,
    url,
    serverUrl,
    async postbox(options = {}) {
      // No background housekeeping unless a test asks for it (test/maintenance.spec.ts):
      // its sweeps would change rows under tests that assert them.
      const postbox = await Postbox.create({ connectionString: url, maintenance: false, ...options });
      postboxes.push(postbox);
      return postbox;
    },
    async client() {
      const client = new pg.Client(url);
      await client.connect();
      clients.push(client);
      return client;
    },
  };
}

/**
 * The usual start of a test file (call it in beforeAll): its own database, a
 * Postbox on it, and a raw client for assertions; all closed after the file.
 */
export async function openTestPostbox(
  options: Partial<PostboxOptions> = {},
): Promise<{ db: TestDatabase; postbox: Postbox; client: pg.Client }> {
  const db = await useTestDatabase();
  return { db, postbox: await db.postbox(options), client: await db.client() };
}
