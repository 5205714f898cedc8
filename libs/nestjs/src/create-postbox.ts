import { Postbox } from 'postbox';
import type { PostboxModuleOptions } from './postbox-module-options';

/**
 * Turns the module's connection options into a core Postbox. Exactly one of
 * connectionString / pool / db says where the statements go; with `db` the
 * LISTEN connection comes from `pool` or `connectionString`.
 */
export async function createPostbox(
  options: PostboxModuleOptions,
  onError: (error: unknown) => void,
): Promise<Postbox> {
  if (!options.db && !options.pool && !options.connectionString) {
    throw new Error('PostboxModule needs a connection: connectionString, pool, or db (+ pool or connectionString)');
  }
  if (options.db && !options.pool && !options.connectionString) {
    throw new Error('PostboxModule: with db, also pass pool or connectionString (for the LISTEN connection)');
  }
  // Migrations run on their own connection string; a pool built from one carries it.
  const connectionString = options.connectionString ?? options.pool?.options.connectionString;
  if (options.migrate && !connectionString) {
    throw new Error('PostboxModule: migrate: true needs connectionString (or a pool created from one)');
  }
  return Postbox.create({
    connectionString,
    pool: options.pool,
    db: options.db,
    maxConnections: options.maxConnections,
    schema: options.schema,
    migrate: options.migrate,
    maintenance: options.maintenance,
    metrics: options.metrics,
    onError,
  });
}
