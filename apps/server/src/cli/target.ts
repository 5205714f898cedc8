import type { Command } from 'commander';
import { DEFAULT_SCHEMA } from 'postbox';
import { openDirectTarget } from './direct-target';
import { openServiceTarget } from './service-target';

// biome-ignore lint/suspicious/noExplicitAny: JSON as the REST API answers it (dates as ISO strings)
export type Json = any;

/** A message to send, as the REST API takes it. */
export interface OutgoingJson {
  body: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  priority?: number;
  dedupKey?: string;
  groupKey?: string;
}

/**
 * What the commands need, answered in the REST API's JSON shapes whether the
 * CLI talks to PostgreSQL directly (the `postbox` package's public API) or to
 * a running service: a command is written once for both.
 */
export interface Target {
  readonly mode: 'direct' | 'service';
  /** Where the CLI is talking to, for messages (no credentials in it). */
  readonly where: string;
  listQueues(): Promise<Json[]>;
  getQueue(name: string): Promise<Json>;
  peek(queue: string, state: string, limit: number): Promise<Json[]>;
  tail(queue: string, after: string | undefined, limit: number): Promise<Json[]>;
  sendBatch(queue: string, messages: OutgoingJson[]): Promise<{ ids: string[]; duplicates: number[] }>;
  redrive(queue: string, ids: string[] | 'all'): Promise<number>;
  replayQueue(queue: string, from: string): Promise<number>;
  replayTopic(topic: string, group: string, from: string): Promise<number>;
  listTransactions(state: string | undefined, limit: number): Promise<Json[]>;
  getTransaction(id: string): Promise<Json>;
  commitTransaction(id: string): Promise<void>;
  rollbackTransaction(id: string): Promise<void>;
  createKey(name: string, scopes: string[], names: string | undefined): Promise<Json>;
  listKeys(): Promise<Json[]>;
  revokeKey(name: string): Promise<void>;
  purge(queue: string, states: string[]): Promise<number>;
  pause(queue: string): Promise<Json>;
  resume(queue: string): Promise<Json>;
  /** Starts a move of the queue's dead letters; `task` reads its progress. */
  move(queue: string, to: string | undefined): Promise<{ taskId: string }>;
  task(taskId: string): Promise<{ state: string; moved: number; total: number; lastError?: string | null }>;
  listSchedules(): Promise<Json[]>;
  getSchedule(name: string): Promise<Json>;
  createSchedule(schedule: Json): Promise<Json>;
  pauseSchedule(name: string): Promise<Json>;
  resumeSchedule(name: string): Promise<Json>;
  deleteSchedule(name: string): Promise<void>;
  close(): Promise<void>;
}

export interface TargetOptions {
  url?: string;
  key?: string;
  databaseUrl?: string;
  schema?: string;
  json?: boolean;
}

/** The options every command that reaches Postbox takes. */
export function targetOptions(command: Command): Command {
  return command
    .option('--url <url>', 'a Postbox service to talk to over REST (default: $POSTBOX_URL)')
    .option('--key <key>', 'API key for the service (default: $POSTBOX_API_KEY)')
    .option('--database-url <url>', 'talk to PostgreSQL directly (default: $DATABASE_URL)')
    .option('--schema <name>', 'schema of Postbox tables, direct mode (default: $POSTBOX_SCHEMA or "postbox")')
    .option('--json', 'print JSON for scripts instead of tables');
}

/**
 * --url (or $POSTBOX_URL) means the service; otherwise --database-url (or
 * $DATABASE_URL) means PostgreSQL directly. An explicit flag beats either
 * variable.
 */
export async function openTarget(options: TargetOptions): Promise<Target> {
  const env = process.env;
  const url = options.url ?? (options.databaseUrl ? undefined : env.POSTBOX_URL);
  if (url) return openServiceTarget(url, options.key ?? env.POSTBOX_API_KEY);
  const databaseUrl = options.databaseUrl ?? env.DATABASE_URL;
  if (!databaseUrl) {
    throw new Error(
      'nowhere to connect: set DATABASE_URL (or --database-url), or POSTBOX_URL (or --url) for a service',
    );
  }
  return openDirectTarget(databaseUrl, options.schema ?? env.POSTBOX_SCHEMA ?? DEFAULT_SCHEMA);
}

/** Runs `work` on an open target and always closes it. */
export async function withTarget<T>(options: TargetOptions, work: (target: Target) => Promise<T>): Promise<T> {
  const target = await openTarget(options);
  try {
    return await work(target);
  } finally {
    await target.close();
  }
}
