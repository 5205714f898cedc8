/**
 * @postbox/server's public entry: the REST service as a Nest app over a
 * Postbox you own, its configuration, and the embedded PostgreSQL that
 * `postbox serve` starts when DATABASE_URL is unset. The `postbox` bin
 * (cli/main.ts) is the usual way in; this is for embedding the service.
 */
export { createApp } from './app';
export { loadConfig, type ServerConfig } from './config';
export {
  type EmbeddedPostgresOptions,
  freePort,
  type RunningPostgres,
  startEmbeddedPostgres,
  temporaryDataDir,
} from './database/embedded-postgres';
export type { ServerOptions } from './server-options';
