import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface MigrationFile {
  /** `000001.sql`: applied in filename order, once per schema. */
  name: string;
  /** sha1 of the body: an applied migration whose text changed is refused. */
  hash: string;
  /** The SQL with `:POSTBOX_SCHEMA` still in it. */
  body: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names go into DDL as identifiers, so only plain lowercase names are accepted. */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`schema "${schema}" must match ${SCHEMA_NAME}`);
}

/**
 * The migrations/ folder: inside the installed package (copied there by
 * `npm pack`), or the repository's own when running from a checkout
 * (libs/core/src or libs/core/dist → ../../../migrations).
 */
export function findMigrationsFolder(start: string = __dirname): string {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, 'migrations', 'committed');
    if (existsSync(candidate)) return path.join(dir, 'migrations');
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no migrations/committed folder above ${start}`);
    dir = parent;
  }
}

/** graphile-migrate's `--! Hash:` header lines are authoring bookkeeping, not SQL. */
function stripHeaders(text: string): string {
  const lines = text.split('\n');
  let first = 0;
  while (first < lines.length && lines[first].startsWith('--!')) first++;
  return lines.slice(first).join('\n').replace(/^\n+/, '');
}

function readSqlFolder(folder: string): MigrationFile[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => {
      const body = stripHeaders(readFileSync(path.join(folder, name), 'utf8'));
      return { name, body, hash: createHash('sha1').update(body).digest('hex') };
    });
}

/** Table and index history: immutable once released, applied once each. */
export function committedMigrations(folder: string = findMigrationsFolder()): MigrationFile[] {
  return readSqlFolder(path.join(folder, 'committed'));
}

/**
 * Function and view bodies, one current file each (`create or replace`),
 * applied after the committed migrations on every migrate: changing a
 * function is a one-file diff, not a new migration.
 */
export function functionFiles(folder: string = findMigrationsFolder()): MigrationFile[] {
  return readSqlFolder(path.join(folder, 'functions'));
}

export function withSchema(body: string, schema: string): string {
  assertSchemaName(schema);
  return body.replaceAll(':POSTBOX_SCHEMA', schema);
}
