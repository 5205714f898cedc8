import type { Command } from 'commander';
import { DEFAULT_SCHEMA, migrationsSql, runMigrations } from 'postbox';

/**
 * `postbox migrate`: applies Postbox's migrations to DATABASE_URL (schema
 * POSTBOX_SCHEMA, default "postbox"). `postbox serve`, the library's
 * `migrate: true` and the tests do this by themselves; this is for deploy
 * pipelines that migrate first. `postbox migrations sql` prints the same DDL
 * as plain SQL for teams whose own tool (Prisma, Flyway, Knex…) applies all DDL.
 */
export function addMigrateCommands(program: Command): void {
  program
    .command('migrate')
    .description('apply pending migrations to DATABASE_URL (advisory-locked; safe from many processes)')
    .option('--database-url <url>', 'PostgreSQL to migrate (default: $DATABASE_URL)')
    .option('--schema <name>', 'schema holding Postbox tables (default: $POSTBOX_SCHEMA or "postbox")')
    .action(async (options: { databaseUrl?: string; schema?: string }) => {
      const connectionString = options.databaseUrl ?? process.env.DATABASE_URL;
      if (!connectionString) {
        throw new Error('DATABASE_URL is not set (postbox serve migrates its embedded database by itself)');
      }
      const schema = options.schema ?? process.env.POSTBOX_SCHEMA ?? DEFAULT_SCHEMA;
      const applied = await runMigrations({ connectionString, schema, log: (m) => console.error(m) });
      console.log(`schema "${schema}": ${applied.length} migration(s) applied, functions refreshed`);
    });

  program
    .command('migrations')
    .description('work with Postbox schema migrations')
    .command('sql')
    .description('print every migration and function as one plain SQL script (apply it with your own tool)')
    .option('--schema <name>', 'schema to write the objects into (default: $POSTBOX_SCHEMA or "postbox")')
    .action((options: { schema?: string }) => {
      process.stdout.write(migrationsSql({ schema: options.schema ?? process.env.POSTBOX_SCHEMA ?? DEFAULT_SCHEMA }));
    });
}
