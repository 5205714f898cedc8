import type { Pool } from 'pg';
import type {
  CheckbackRunnerOptions,
  ConsumeOptions,
  Executor,
  MaintenanceOptions,
  PostboxMetrics,
  QueueOptions,
  RelayOptions,
  TopicOptions,
} from 'postbox';
import type { ScheduleDeclaration } from './declare-schedules';

/** A queue the module creates at start-up if it is missing (same settings again are a no-op). */
export interface QueueDeclaration extends QueueOptions {
  name: string;
}

/** A topic the module creates at start-up if it is missing. */
export interface TopicDeclaration extends TopicOptions {
  name: string;
}

/** Consumer settings every handler starts with; a decorator's own options win. */
export type ConsumerDefaults = Pick<
  ConsumeOptions,
  'concurrency' | 'batchSize' | 'visibilityTimeoutMs' | 'pollIntervalMs' | 'claimMode'
>;

/**
 * How PostboxModule connects. Give ONE of:
 * - `connectionString`: Postbox opens its own pool (closed on app shutdown);
 * - `pool`: the app's pg.Pool, shared (left open: the app owns it);
 * - `db`: the app's Kysely instance, shared, plus `pool` or `connectionString`
 *   for the single LISTEN connection (LISTEN needs a dedicated client, which
 *   a Kysely instance cannot lend).
 */
export interface PostboxModuleOptions {
  connectionString?: string;
  pool?: Pool;
  db?: Executor;
  /** Pool size when Postbox opens its own pool. Default 10. */
  maxConnections?: number;
  /** Schema of Postbox's tables. Default "postbox". */
  schema?: string;
  /**
   * Apply Postbox's migrations before anything starts. Needs a connection
   * string (given, or the pool's). Safe with many replicas: migrations take an
   * advisory lock.
   */
  migrate?: boolean;
  /** Queues to create at start-up, before handlers start. */
  queues?: QueueDeclaration[];
  /** Topics to create at start-up, before @TopicHandler groups subscribe. */
  topics?: TopicDeclaration[];
  /**
   * Recurring schedules to create at start-up (after queues and topics);
   * ticks are enqueued by the maintenance of any process, once each.
   */
  schedules?: ScheduleDeclaration[];
  /** Defaults for every @QueueHandler / @TopicHandler consumer. */
  consumerDefaults?: ConsumerDefaults;
  /**
   * How long shutdown waits for running handlers before aborting them (their
   * messages then come back when the lease runs out: redelivered, never lost).
   * Default 30000; keep it under your orchestrator's grace period (Kubernetes: 30 s).
   */
  shutdownTimeoutMs?: number;
  /**
   * The check-back runner, started when the app has @TransactionChecker
   * methods: how often it looks for due checks, how long a checker may take.
   */
  checkback?: Pick<CheckbackRunnerOptions, 'pollIntervalMs' | 'batchSize' | 'checkTimeoutMs'>;
  /**
   * Outbox relays to RabbitMQ (publisher confirms; `npm install amqplib`),
   * started at bootstrap after the declared queues, stopped at shutdown.
   */
  relays?: RelayOptions[];
  /** Housekeeping (dedup keys, inbox, half messages, archive partitions): on by default; `false` turns it off. */
  maintenance?: boolean | MaintenanceOptions;
  /** Start the discovered handlers at application bootstrap. Default true. */
  startHandlers?: boolean;
  /** What Postbox did, counted: e.g. `prometheusMetrics(registry)` with the app's prom-client Registry. */
  metrics?: PostboxMetrics;
}
