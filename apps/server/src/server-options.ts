/**
 * What the HTTP layer needs besides the Postbox itself. createApp() takes
 * these directly (tests build apps without touching the environment);
 * config.ts fills them from env vars for `npm start`.
 */
export interface ServerOptions {
  /** When set, every /v1 route needs `Authorization: Bearer <key>` or `x-api-key: <key>`. */
  apiKey: string | null;
  /** Largest accepted JSON body (body-parser syntax: "1mb", "512kb"). */
  bodyLimit: string;
  /** pino level: trace, debug, info, warn, error, fatal, silent. */
  logLevel: string;
  /** How often expired dedup keys are deleted. */
  dedupSweepIntervalMs: number;
  /** GET /health answers 503 when `select 1` takes longer than this. */
  healthTimeoutMs: number;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  apiKey: null,
  bodyLimit: '1mb',
  logLevel: 'info',
  dedupSweepIntervalMs: 60_000,
  healthTimeoutMs: 2_000,
};
