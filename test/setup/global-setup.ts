import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, temporaryDataDir } from '../../apps/server/src/database/embedded-postgres';
import { runMigrations } from '../../libs/core/src/database/run-migrations';
import { databaseUrl } from './database-url';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the server tests run on (embedded, or DATABASE_URL's). */
    pgServerUrl: string;
    /** A migrated database every test file clones its own database from. */
    templateDatabase: string;
  }
}

/**
 * One real PostgreSQL for the whole run: the embedded one on a free port, or
 * the server of DATABASE_URL. Migrations run once into a template database;
 * each test file then gets its own database cloned from it in milliseconds.
 */
export default async function setup(project: TestProject) {
  // Tests that run the real service or example app as a process spawn the
  // compiled packages; one build for the run (~6 s) instead of one per file.
  if (process.env.POSTBOX_TEST_BUILD !== '0') {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: path.resolve(__dirname, '../..'), stdio: 'inherit' });
  }
  let serverUrl = process.env.DATABASE_URL;
  let stopServer: (() => Promise<void>) | undefined;
  if (!serverUrl) {
    const server = await startEmbeddedPostgres({
      dataDir: temporaryDataDir(path.join('postbox-test', 'pg')),
      port: 0,
      persistent: false,
    });
    serverUrl = server.connectionString;
    stopServer = server.stop;
  }
  const template = `postbox_template_${process.pid}`;
  const admin = new pg.Client(serverUrl);
  await admin.connect();
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  await admin.end();
  await runMigrations({ connectionString: databaseUrl(serverUrl, template) });

  project.provide('pgServerUrl', serverUrl);
  project.provide('templateDatabase', template);

  return async () => {
    const client = new pg.Client(serverUrl);
    await client.connect();
    await client.query(`drop database if exists ${template} with (force)`).catch(() => {});
    await client.end();
    await stopServer?.();
  };
}
