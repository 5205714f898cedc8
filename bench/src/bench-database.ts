import path from 'node:path';
import { startEmbeddedPostgres, temporaryDataDir } from '@postbox/server';
import pg from 'pg';

export interface BenchDatabase {
  /** The database every peer shares, each in its own schema. */
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * One Postgres for the whole run: DATABASE_URL's server, or an embedded
 * PostgreSQL 18 on a free port with a throwaway data directory (default
 * settings: fsync and synchronous_commit on — headline numbers are durable).
 * A fresh `postbox_bench` database is created on it each run.
 */
export async function openBenchDatabase(log: (line: string) => void): Promise<BenchDatabase> {
  let serverUrl = process.env.DATABASE_URL;
  let stopServer = async () => {};
  const embedded = !serverUrl;
  if (!serverUrl) {
    log('starting embedded PostgreSQL…');
    const server = await startEmbeddedPostgres({
      dataDir: temporaryDataDir(path.join('postbox-bench', 'pg')),
      port: 0,
      persistent: false,
    });
    serverUrl = server.connectionString;
    stopServer = server.stop;
  }
  const name = 'postbox_bench';
  const admin = new pg.Client(serverUrl);
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    embedded,
    async stop() {
      const client = new pg.Client(serverUrl);
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`).catch(() => {});
      await client.end();
      await stopServer();
    },
  };
}

/** Server version and the settings that decide durability, for the report. */
export async function describeServer(url: string): Promise<Record<string, string>> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `select name, setting from pg_settings
       where name in ('server_version', 'fsync', 'synchronous_commit', 'shared_buffers', 'wal_level', 'max_connections')`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } finally {
    await client.end();
  }
}
