import { committedMigrations, findMigrationsFolder, functionFiles, withSchema } from './migration-files';
import { DEFAULT_SCHEMA } from './tables';

/**
 * Every migration and function file as one plain SQL script, for teams whose
 * own tool (Prisma, TypeORM, Flyway, Knex) applies all DDL. The script also
 * records what it applied in `<schema>.schema_migrations`, so a later
 * `runMigrations()` (or `migrate: true`) finds nothing to do but the
 * functions. Committed migrations are not idempotent: apply the script once.
 */
export function migrationsSql({
  schema = DEFAULT_SCHEMA,
  migrationsFolder = findMigrationsFolder(),
}: {
  schema?: string;
  migrationsFolder?: string;
} = {}): string {
  const parts = [
    `-- Postbox schema "${schema}": committed migrations, then functions.`,
    withSchema(
      `create schema if not exists :POSTBOX_SCHEMA;
create table if not exists :POSTBOX_SCHEMA.schema_migrations (
  filename text primary key,
  hash text not null,
  applied_at timestamptz not null default now()
);`,
      schema,
    ),
  ];
  for (const migration of committedMigrations(migrationsFolder)) {
    parts.push(`-- migration ${migration.name}`, withSchema(migration.body, schema).trimEnd());
    parts.push(
      `insert into ${schema}.schema_migrations (filename, hash) values ('${migration.name}', '${migration.hash}');`,
    );
  }
  for (const file of functionFiles(migrationsFolder)) {
    parts.push(`-- functions ${file.name}`, withSchema(file.body, schema).trimEnd());
  }
  return `${parts.join('\n\n')}\n`;
}
