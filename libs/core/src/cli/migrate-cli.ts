/**
 * `npm run migrate`: applies Postbox's committed migrations to DATABASE_URL
 * (schema POSTBOX_SCHEMA, default "postbox"). `npm start` and the tests do
 * this by themselves; this is for deploy pipelines that migrate first.
 */
import { parseArgs } from 'node:util';
import { runMigrations } from '../database/run-migrations';
import { DEFAULT_SCHEMA } from '../database/tables';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string' },
      schema: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npm run migrate [-- --database-url URL] [--schema NAME]  (defaults: $DATABASE_URL, $POSTBOX_SCHEMA)',
    );
    return;
  }
  const connectionString = values['database-url'] ?? process.env.DATABASE_URL;
  if (!connectionString) {
    console.error('DATABASE_URL is not set (npm start migrates its embedded database by itself).');
    process.exitCode = 2;
    return;
  }
  const schema = values.schema ?? process.env.POSTBOX_SCHEMA ?? DEFAULT_SCHEMA;
  await runMigrations({ connectionString, schema, log: (m) => console.error(m) });
  console.log(`migrated schema "${schema}"`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
