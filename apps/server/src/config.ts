import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './server-options';

/**
 * Every environment variable the service reads, in one place. README.md ("Configuration")
 * documents the same list; keep them in step.
 */
export interface ServerConfig extends ServerOptions {
  /** Postgres to use; unset means start the embedded one. */
  databaseUrl: string | null;
  port: number;
  host: string;
  schema: string;
  /** Embedded Postgres: data directory (kept across restarts) and port. */
  dataDir: string;
  pgPort: number;
  /** Connections in the service's pool. */
  poolSize: number;
}

export const DEFAULT_PG_PORT = 54329;

function text(env: NodeJS.ProcessEnv, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const pgPort = integer(env, 'POSTBOX_PG_PORT', DEFAULT_PG_PORT, 1, 65_535);
  if (pgPort === 5432 && !text(env, 'DATABASE_URL')) {
    // 5432 is where a system Postgres usually lives; two servers on one data
    // port means one of them fails to start, or we write into the wrong one.
    throw new Error('POSTBOX_PG_PORT must not be 5432 (kept free for a system PostgreSQL)');
  }
  return {
    databaseUrl: text(env, 'DATABASE_URL'),
    port: integer(env, 'PORT', 3000, 0, 65_535),
    host: text(env, 'HOST') ?? '0.0.0.0',
    schema: text(env, 'POSTBOX_SCHEMA') ?? 'postbox',
    dataDir: text(env, 'POSTBOX_DATA_DIR') ?? '.postbox-data/pg',
    pgPort,
    poolSize: integer(env, 'POSTBOX_POOL_SIZE', 20, 1, 1_000),
    apiKey: text(env, 'POSTBOX_API_KEY'),
    metricsKey: text(env, 'POSTBOX_METRICS_KEY'),
    bodyLimit: text(env, 'POSTBOX_BODY_LIMIT') ?? DEFAULT_SERVER_OPTIONS.bodyLimit,
    logLevel: text(env, 'LOG_LEVEL') ?? DEFAULT_SERVER_OPTIONS.logLevel,
    healthTimeoutMs: DEFAULT_SERVER_OPTIONS.healthTimeoutMs,
    dashboardSampleMs: integer(
      env,
      'POSTBOX_DASHBOARD_SAMPLE_MS',
      DEFAULT_SERVER_OPTIONS.dashboardSampleMs,
      100,
      60_000,
    ),
  };
}
