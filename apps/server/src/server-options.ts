import type { Registry } from 'prom-client';

/**
 * What the HTTP layer needs besides the Postbox itself. createApp() takes
 * these directly (tests build apps without touching the environment);
 * config.ts fills them from env vars for `npm start`.
 */
export interface ServerOptions {
  /**
   * The bootstrap admin key (POSTBOX_API_KEY). With it, or with any key stored
   * through POST /v1/keys, every route but the public ones (auth/public.decorator.ts)
   * needs `Authorization: Bearer <key>` or `x-api-key: <key>`. With neither,
   * the service runs open (dev mode).
   */
  apiKey: string | null;
  /** POSTBOX_METRICS_KEY: when set, accepted by GET /metrics (only), and /metrics needs a key even in dev mode. */
  metricsKey: string | null;
  /** Largest accepted JSON body (body-parser syntax: "1mb", "512kb"). */
  bodyLimit: string;
  /** pino level: trace, debug, info, warn, error, fatal, silent. */
  logLevel: string;
  /** GET /health answers 503 when `select 1` takes longer than this. */
  healthTimeoutMs: number;
  /** POSTBOX_DASHBOARD_SAMPLE_MS: how often the dashboard's depth, rates and half-message counts are sampled (an hour is kept). */
  dashboardSampleMs: number;
  /**
   * The prom-client Registry the Postbox's own metrics were registered in
   * (`Postbox.create({ metrics: prometheusMetrics(registry) })`): GET /metrics
   * serves it with the service's. main.ts sets both up.
   */
  metricsRegistry?: Registry;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  apiKey: null,
  metricsKey: null,
  bodyLimit: '1mb',
  logLevel: 'info',
  healthTimeoutMs: 2_000,
  dashboardSampleMs: 5_000,
};
