import 'reflect-metadata';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { Postbox, prometheusMetrics, runMigrations } from 'postbox';
import { Registry } from 'prom-client';
import { createApp } from './app';
import { loadConfig, type ServerConfig } from './config';
import { type RunningPostgres, startEmbeddedPostgres } from './database/embedded-postgres';

const EMBEDDED_DATABASE = 'postbox';

/**
 * `npm start`: with DATABASE_URL, serve on that database; without, start
 * the embedded PostgreSQL (data kept under POSTBOX_DATA_DIR across restarts)
 * first. Migrations run on every start (they skip what is applied). On
 * SIGINT/SIGTERM: stop taking requests, answer waiting long polls, close the
 * Postbox and the pool, stop Postgres, exit 0.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, base: { service: 'postbox' } });

  let embedded: RunningPostgres | undefined;
  let pool: pg.Pool | undefined;
  let postbox: Postbox | undefined;
  let app: Awaited<ReturnType<typeof createApp>> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // A hung step must not keep the process alive forever.
    setTimeout(() => {
      log.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000).unref();
    let code = 0;
    const step = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (error) {
        code = 1;
        log.error({ err: error }, `shutdown: ${name} failed`);
      }
    };
    if (app) await step('closing the HTTP server', () => (app as NonNullable<typeof app>).close());
    if (postbox) await step('closing Postbox', () => (postbox as Postbox).close({ timeoutMs: 10_000 }));
    if (pool) await step('closing the pool', () => (pool as pg.Pool).end());
    if (embedded) await step('stopping PostgreSQL', () => stopEmbedded(embedded as RunningPostgres, config));
    log.info('stopped');
    process.exit(process.exitCode || code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    let connectionString = config.databaseUrl;
    if (!connectionString) {
      embedded = await startEmbedded(config, log);
      connectionString = embedded.connectionString;
    }
    pool = new pg.Pool({
      connectionString,
      max: config.poolSize,
      // Without it a request waits forever for a connection to a dead server;
      // with it the request fails and answers 503.
      connectionTimeoutMillis: 5_000,
    });
    // pg attaches the whole client to the error: log what an operator needs, not ~5 kB of driver state.
    pool.on('error', (error: Error & { code?: string }) =>
      log.warn({ code: error.code, reason: error.message }, 'idle database connection lost'),
    );
    await runMigrations({
      connectionString,
      schema: config.schema,
      log: (message) => log.warn(message),
    });
    // What the core counts (sends, acks, latencies): served by GET /metrics with the service's own.
    const metricsRegistry = new Registry();
    postbox = await Postbox.create({
      metrics: prometheusMetrics(metricsRegistry),
      connectionString,
      pool,
      schema: config.schema,
      onError: (error) => log.warn({ err: error }, 'background error'),
    });
    app = await createApp(postbox, { ...config, metricsRegistry });
    // Between long polls (each held up to 30 s) a client's keep-alive socket
    // sits idle; Node's 5 s default closes it while the client may be reusing
    // it (ECONNRESET on the next poll). 65 s outlives the 60 s idle timeout of
    // common load balancers; headersTimeout must stay above it.
    const httpServer = app.getHttpServer();
    httpServer.keepAliveTimeout = 65_000;
    httpServer.headersTimeout = 66_000;
    await app.listen(config.port, config.host);
  } catch (error) {
    // The cause goes in the message itself, at the default level: "could not
    // start" alone (the reason only at LOG_LEVEL=debug) left operators guessing.
    log.fatal({ err: error }, `could not start: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    await shutdown('startup failure');
    return;
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  log.info(
    { port, database: embedded ? `embedded PostgreSQL on port ${embedded.port}` : 'DATABASE_URL' },
    `Postbox listening on http://${shownHost}:${port}`,
  );
}

async function startEmbedded(config: ServerConfig, log: pino.Logger): Promise<RunningPostgres> {
  const dataDir = path.resolve(config.dataDir);
  log.info({ dataDir, port: config.pgPort }, 'DATABASE_URL not set: starting embedded PostgreSQL');
  // embedded-postgres installs SIGINT/SIGTERM handlers (async-exit-hook)
  // that stop Postgres and exit with 130/143 before our shutdown has closed
  // the app and the pool. Ours do the same in order, so theirs are removed.
  const before = {
    SIGINT: new Set(process.listeners('SIGINT')),
    SIGTERM: new Set(process.listeners('SIGTERM')),
    SIGHUP: new Set(process.listeners('SIGHUP')),
  };
  const running = await startEmbeddedPostgres({
    dataDir,
    port: config.pgPort,
    persistent: true,
    database: EMBEDDED_DATABASE,
    log: (message) => log.debug({ postgres: message }),
    warn: (message) => log.warn(message),
  });
  for (const [signal, existing] of Object.entries(before)) {
    for (const listener of process.listeners(signal as NodeJS.Signals)) {
      if (!existing.has(listener)) process.removeListener(signal, listener);
    }
  }
  return running;
}

/**
 * Ctrl-C in a terminal signals the whole process group, Postgres included,
 * which may then have exited before stop() is called (and stop() would wait
 * for an exit that already happened). Postgres removes postmaster.pid as
 * the last step of a clean shutdown, so that file going away means stopped.
 */
async function stopEmbedded(embedded: RunningPostgres, config: ServerConfig): Promise<void> {
  const pidFile = path.join(path.resolve(config.dataDir), 'postmaster.pid');
  const gone = (async () => {
    while (existsSync(pidFile)) await new Promise((resolve) => setTimeout(resolve, 50));
  })();
  await Promise.race([embedded.stop(), gone]);
}

main().catch((error: unknown) => {
  // Only configuration errors get here (everything after loadConfig logs and shuts down itself).
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
