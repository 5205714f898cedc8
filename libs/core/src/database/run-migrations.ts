import pg from 'pg';
import {
  committedMigrations,
  findMigrationsFolder,
  functionFiles,
  type MigrationFile,
  withSchema,
} from './migration-files';
import { DEFAULT_SCHEMA } from './tables';

export interface MigrateOptions {
  connectionString: string;
  schema?: string;
  /** Where the committed/ (and functions/) folders live; found automatically by default. */
  migrationsFolder?: string;
  log?: (message: string) => void;
}

/**
 * Postbox applies its own migrations instead of calling graphile-migrate at
 * run time: graphile-migrate keeps its bookkeeping in a fixed
 * `graphile_migrate` schema, which clashes with an app that uses
 * graphile-migrate for its own tables and allows one Postbox schema per
 * database; and it would bring yargs and chokidar into every install. Here
 * the bookkeeping is `<schema>.schema_migrations`, so each Postbox schema
 * carries its own history. graphile-migrate stays the authoring tool
 * (migrations/current.sql → `graphile-migrate commit`).
 */
const BOOKKEEPING = (schema: string) => `
  create schema if not exists ${schema};
  create table if not exists ${schema}.schema_migrations (
    filename text primary key,
    hash text not null,
    applied_at timestamptz not null default now()
  );`;

/** Same key from every process: one migrator per schema at a time, the others wait. */
const LOCK_NAMESPACE = 0x706f7374; // 'post'

/**
 * Applies pending committed migrations, each in its own transaction, then
 * re-applies the function files; returns the names applied. Safe to call
 * from every process at start-up (advisory-locked; what is applied is skipped).
 */
export async function runMigrations(options: MigrateOptions): Promise<string[]> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const folder = options.migrationsFolder ?? findMigrationsFolder();
  const migrations = committedMigrations(folder);
  const functions = functionFiles(folder);
  const log = options.log ?? (() => {});
  withSchema('', schema); // validates the name before anything runs
  const client = new pg.Client({ connectionString: options.connectionString });
  client.on('error', () => {}); // a dying connection fails the query in flight instead
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1, hashtext($2))', [LOCK_NAMESPACE, schema]);
    await client.query(BOOKKEEPING(schema));
    await adoptGraphileMigrateHistory(client, schema, migrations);
    const { rows } = await client.query<{ filename: string; hash: string }>(
      `select filename, hash from ${schema}.schema_migrations`,
    );
    const applied = new Map(rows.map((row) => [row.filename, row.hash]));
    const done: string[] = [];
    for (const migration of migrations) {
      const hash = applied.get(migration.name);
      if (hash === migration.hash) continue;
      if (hash !== undefined) {
        throw new Error(`migration ${migration.name} changed after it was applied to schema "${schema}"`);
      }
      await inTransaction(client, async () => {
        await client.query(withSchema(migration.body, schema));
        await client.query(`insert into ${schema}.schema_migrations (filename, hash) values ($1, $2)`, [
          migration.name,
          migration.hash,
        ]);
      });
      log(`applied migration ${migration.name} to schema "${schema}"`);
      done.push(migration.name);
    }
    if (functions.length > 0) {
      await inTransaction(client, async () => {
        for (const file of functions) await client.query(withSchema(file.body, schema));
      });
    }
    return done;
  } finally {
    await client.query('select pg_advisory_unlock($1, hashtext($2))', [LOCK_NAMESPACE, schema]).catch(() => {});
    await client.end().catch(() => {});
  }
}

async function inTransaction(client: pg.Client, work: () => Promise<void>): Promise<void> {
  await client.query('begin');
  try {
    await work();
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}

/**
 * Databases migrated by Postbox 0.1 (through graphile-migrate) have the
 * tables but no schema_migrations rows: record the migrations whose tables
 * exist instead of applying them twice. Only the default "postbox" schema
 * could have been migrated that way with history in graphile_migrate.
 */
async function adoptGraphileMigrateHistory(
  client: pg.Client,
  schema: string,
  migrations: readonly MigrationFile[],
): Promise<void> {
  const { rows } = await client.query<{ recorded: number; legacy: boolean; tables: boolean }>(
    `select (select count(*)::int from ${schema}.schema_migrations) as recorded,
            to_regclass('graphile_migrate.migrations') is not null as legacy,
            to_regclass($1) is not null as tables`,
    [`${schema}.queues`],
  );
  const [state] = rows;
  if (state.recorded > 0 || !state.legacy || !state.tables) return;
  const { rows: legacy } = await client.query<{ filename: string }>('select filename from graphile_migrate.migrations');
  const names = new Set(legacy.map((row) => row.filename));
  for (const migration of migrations) {
    if (!names.has(migration.name)) continue;
    await client.query(
      `insert into ${schema}.schema_migrations (filename, hash) values ($1, $2) on conflict do nothing`,
      [migration.name, migration.hash],
    );
  }
}
