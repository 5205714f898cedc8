import { maintainArchive } from '../archive/maintain-archive';
import type { Executor } from '../database/database';
import {
  DEFAULT_TRANSACTION_RETENTION_MS,
  purgeResolvedTransactions,
} from '../half-messages/purge-resolved-transactions';
import { DEFAULT_INBOX_RETENTION_MS } from '../inbox/inbox';
import { pruneInbox } from '../inbox/prune-inbox';
import { expireMessages } from '../messages/expire-messages';
import { purgeExpiredDedupKeys } from '../messages/purge-dedup-keys';
import { ScheduleRunner, type ScheduleRunnerOptions } from '../schedules/schedule-runner';
import { TaskRunner, type TaskRunnerOptions } from '../tasks/task-runner';
import { sweepInBatches } from './sweep';
import { type QueueTable, vacuumQueueTables } from './vacuum-queue-tables';

export interface MaintenanceOptions {
  /** Exactly-once inbox rows older than this are deleted. Default 7 days. */
  inboxRetentionMs?: number;
  /** Committed, rolled-back and expired half messages older than this are deleted. Default 7 days. */
  halfMessageRetentionMs?: number;
  /** Expired messages (messageTtlMs, expiresAt) no claim has removed yet: every 10 s by default. */
  expiredMessagesIntervalMs?: number;
  /** Expired dedup keys: every minute by default. */
  dedupKeysIntervalMs?: number;
  /** Archive partitions (created 3 h ahead, dropped past retention): every 5 minutes by default. */
  archiveIntervalMs?: number;
  /**
   * VACUUM of the queue tables (messages, dead_letters, dedup_keys) once their
   * dead rows pass max(10,000, 20% of live), checked every 5 s by default
   * (vacuum-queue-tables.ts: autovacuum comes at most once a minute). Needs a
   * role that owns the tables (PostgreSQL 17+: or has MAINTAIN on them);
   * without it the sweep reports once through onError and leaves them to
   * autovacuum. false: no vacuum from this process.
   */
  vacuumIntervalMs?: number | false;
  /** Inbox and resolved half messages: every 10 minutes by default. */
  retentionIntervalMs?: number;
  /** Recurring schedules' tick runner (schedules/schedule-runner.ts); false: none in this process. */
  schedules?: ScheduleRunnerOptions | false;
  /** Tasks (dead-letter moves, tasks/task-runner.ts); tasks whose process died are looked for every intervalMs (default 5 s). */
  tasks?: TaskRunnerOptions & { intervalMs?: number };
}

export interface MaintenancePass {
  sweep: 'expired-messages' | 'dedup-keys' | 'archive' | 'inbox' | 'half-messages' | 'vacuum';
  /** Rows deleted (or partitions created + dropped, or tables vacuumed); null when another process ran this sweep. */
  changed: number | null;
  /** expired-messages: how many left each queue (for the `expired` metric). */
  byQueue?: ReadonlyMap<string, number>;
}

const BATCH = 10_000;

/**
 * Postbox's housekeeping, the same in every process that uses Postbox —
 * library, NestJS module, REST service: expired dedup keys, old inbox rows,
 * resolved half messages, archive partitions, VACUUM of the queue tables
 * (vacuum-queue-tables.ts). Each sweep takes an advisory
 * lock, so with any number of processes one runs a given sweep at a time and
 * the others skip that pass. Timers are unref'd: they never keep a process alive.
 */
export class Maintenance {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;
  /** Runs tasks started in this process at once, and takes over those of processes that died. */
  readonly tasks: TaskRunner;
  private readonly scheduleRunner: ScheduleRunner | null;
  /** Tables this role may not vacuum, reported once each. */
  private readonly vacuumRefused = new Set<QueueTable>();

  constructor(
    private readonly db: Executor,
    private readonly schema: string,
    private readonly options: MaintenanceOptions,
    private readonly onError: (error: unknown) => void,
    private readonly onPass: (pass: MaintenancePass) => void = () => {},
  ) {
    this.tasks = new TaskRunner(db, schema, options.tasks ?? {}, onError);
    this.scheduleRunner =
      options.schedules === false ? null : new ScheduleRunner(db, schema, options.schedules ?? {}, onError);
  }

  start(): this {
    const o = this.options;
    this.every(o.expiredMessagesIntervalMs ?? 10_000, false, () => this.expireMessages());
    this.every(o.dedupKeysIntervalMs ?? 60_000, false, () => this.sweepDedupKeys());
    this.every(o.archiveIntervalMs ?? 5 * 60_000, true, () => this.maintainArchive());
    if (this.vacuums) this.every(o.vacuumIntervalMs || 5_000, false, () => this.vacuumQueueTables());
    this.every(o.retentionIntervalMs ?? 10 * 60_000, true, async () => {
      await this.pruneInbox();
      await this.purgeHalfMessages();
    });
    this.scheduleRunner?.start();
    this.every(o.tasks?.intervalMs ?? 5_000, true, () => this.tasks.adoptOrphans());
    return this;
  }

  /** One pass of every sweep now (tests, or a cron job that runs housekeeping itself). */
  async runOnce(): Promise<MaintenancePass[]> {
    return [
      await this.expireMessages(),
      await this.sweepDedupKeys(),
      await this.maintainArchive(),
      await this.pruneInbox(),
      await this.purgeHalfMessages(),
      ...(this.vacuums ? [await this.vacuumQueueTables()] : []),
    ];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.running, this.scheduleRunner?.stop(), this.tasks.stop()]);
  }

  private every(intervalMs: number, atStart: boolean, pass: () => Promise<unknown>): void {
    let current: Promise<unknown> | undefined;
    const tick = () => {
      if (this.stopped || current) return; // never two passes of one sweep at once
      current = pass()
        .catch((error) => this.onError(error))
        .finally(() => {
          if (current) this.running.delete(current);
          current = undefined;
        });
      this.running.add(current);
    };
    if (atStart) tick();
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  private report(
    sweep: MaintenancePassName,
    changed: number | null,
    byQueue?: ReadonlyMap<string, number>,
  ): MaintenancePass {
    const pass = byQueue ? { sweep, changed, byQueue } : { sweep, changed };
    this.onPass(pass);
    return pass;
  }

  private async expireMessages(): Promise<MaintenancePass> {
    const byQueue = new Map<string, number>();
    const changed = await sweepInBatches(this.db, `${this.schema}.expired-messages`, BATCH, async (trx) => {
      const expired = await expireMessages(trx, { schema: this.schema, limit: BATCH });
      for (const [queue, n] of expired) byQueue.set(queue, (byQueue.get(queue) ?? 0) + n);
      return Math.max(0, ...expired.values()); // another batch while some queue filled a whole one
    });
    let total = 0;
    for (const n of byQueue.values()) total += n;
    return this.report('expired-messages', changed === null ? null : total, byQueue);
  }

  private async sweepDedupKeys(): Promise<MaintenancePass> {
    const changed = await sweepInBatches(this.db, `${this.schema}.dedup-keys`, BATCH, (trx) =>
      purgeExpiredDedupKeys(trx, { schema: this.schema, limit: BATCH }),
    );
    return this.report('dedup-keys', changed);
  }

  /** Off with vacuumIntervalMs: false, and on an executor that is a transaction (VACUUM cannot run in one). */
  private get vacuums(): boolean {
    return this.options.vacuumIntervalMs !== false && !this.db.isTransaction;
  }

  private async vacuumQueueTables(): Promise<MaintenancePass> {
    const result = await vacuumQueueTables(this.db, { schema: this.schema });
    if (result === null) return this.report('vacuum', null);
    for (const table of result.notPermitted) {
      if (this.vacuumRefused.has(table)) continue;
      this.vacuumRefused.add(table);
      this.onError(
        new Error(
          `maintenance: this role may not VACUUM ${this.schema}.${table} (not its owner): its dead rows are left to autovacuum; vacuumIntervalMs: false turns this sweep off`,
        ),
      );
    }
    return this.report('vacuum', result.vacuumed.length);
  }

  private async maintainArchive(): Promise<MaintenancePass> {
    // maintain_archive() takes its own advisory lock: concurrent runs take turns.
    const { created, dropped } = await maintainArchive(this.db, { schema: this.schema });
    return this.report('archive', created.length + dropped.length);
  }

  private async pruneInbox(): Promise<MaintenancePass> {
    const retentionMs = this.options.inboxRetentionMs ?? DEFAULT_INBOX_RETENTION_MS;
    const changed = await sweepInBatches(this.db, `${this.schema}.inbox`, BATCH, (trx) =>
      pruneInbox(trx, { schema: this.schema, retentionMs, limit: BATCH }),
    );
    return this.report('inbox', changed);
  }

  private async purgeHalfMessages(): Promise<MaintenancePass> {
    const retentionMs = this.options.halfMessageRetentionMs ?? DEFAULT_TRANSACTION_RETENTION_MS;
    const changed = await sweepInBatches(this.db, `${this.schema}.half-messages`, BATCH, (trx) =>
      purgeResolvedTransactions(trx, { schema: this.schema, retentionMs, limit: BATCH }),
    );
    return this.report('half-messages', changed);
  }
}

type MaintenancePassName = MaintenancePass['sweep'];
