import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SCHEMA } from './tables';

export interface MigrateOptions {
  connectionString: string;
  schema?: string;
  /** Where graphile-migrate's committed/ folder lives; found automatically by default. */
  migrationsFolder?: string;
  log?: (message: string) => void;
}

/** The repository's migrations/ folder, from source (libs/core/src) or from dist/. */
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

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Applies the committed graphile-migrate migrations (the only DDL Postbox
 * has). Safe to call from every process at start-up: graphile-migrate takes an
 * advisory lock and skips what is applied; a process that loses the race for
 * the lock waits and tries again.
 *
 * graphile-migrate keeps its own bookkeeping in the `graphile_migrate` schema,
 * so one database holds one Postbox schema.
 */
export async function runMigrations(options: MigrateOptions): Promise<void> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) throw new Error(`schema "${schema}" must match ${SCHEMA_NAME}`);
  const { migrate, Logger } = await import('graphile-migrate');
  const log = options.log ?? (() => {});
  const logger = new Logger(() => (level, message) => {
    if (level === 'error' || level === 'warning') log(`migrate ${level}: ${message}`);
  });
  const settings = {
    connectionString: options.connectionString,
    migrationsFolder: options.migrationsFolder ?? findMigrationsFolder(),
    placeholders: { ':POSTBOX_SCHEMA': schema },
    logger,
  };
  // graphile-migrate keeps its pool open for a while after migrating and
  // calls process.exit(1) if that pool sees an error (say the database
  // restarts a minute later), so the pool is closed as soon as we are done.
  const { clearAllPools } = await import('graphile-migrate/dist/pgReal.js');
  for (let attempt = 1; ; attempt++) {
    try {
      await migrate(settings);
      clearAllPools();
      return;
    } catch (error) {
      const busy = error instanceof Error && /exclusive lock/.test(error.message);
      if (!busy || attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
