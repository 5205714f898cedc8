import pg from 'pg';
import { PgBoss } from 'pg-boss';
import type { BenchBody, BenchHandler, Peer } from '../peer';

const QUEUE = 'bench';
const BATCH = 100;

/**
 * pg-boss 12 as its docs configure a worker for throughput
 * (pgboss.io/api/workers, /api/constructor): LISTEN/NOTIFY on
 * (`useListenNotify` on the instance, `notify: true` on the queue, so a new
 * job wakes the workers at once and polling is only the backstop), batch
 * fetch (`batchSize` 100, completed in one call when the handler returns),
 * `localConcurrency` = the workload's concurrency (its way to run workers in
 * parallel in one process), and `burstWhenBatchFull` (a full batch fetches
 * again at once, so a backlog drains without waiting for a poll).
 * Supervision, cron and the queue-stats monitor are off for the run.
 */
export class PgBossPeer implements Peer {
  readonly name = 'pg-boss';
  readonly configuration =
    'v12: useListenNotify + queue notify, batchSize 100 × localConcurrency workers, burstWhenBatchFull, pool 10';
  private boss!: PgBoss;
  private admin!: pg.Client;
  /** The caller's own connections, for sends inside its transactions. */
  private callers!: pg.Pool;

  constructor(readonly url: string) {}

  async start(): Promise<void> {
    this.boss = new PgBoss({
      connectionString: this.url,
      max: 10,
      supervise: false,
      schedule: false,
      useListenNotify: true,
    });
    this.boss.on('error', () => {});
    await this.boss.start();
    await this.boss.createQueue(QUEUE, { notify: true });
    this.admin = new pg.Client(this.url);
    await this.admin.connect();
    this.callers = new pg.Pool({ connectionString: this.url, max: 10 });
  }

  async clean(): Promise<void> {
    await this.admin.query('truncate pgboss.job');
    await this.admin.query('vacuum analyze pgboss.job');
  }

  async enqueueBatch(bodies: BenchBody[]): Promise<void> {
    await this.boss.insert(
      QUEUE,
      bodies.map((data) => ({ data })),
    );
  }

  async sendOne(body: BenchBody): Promise<void> {
    await this.boss.send(QUEUE, body);
  }

  /** send with the `db` option (pgboss.io/api/jobs): the insert runs on the caller's transaction's client. */
  async sendOneInTransaction(body: BenchBody): Promise<void> {
    const client = await this.callers.connect();
    try {
      await client.query('begin');
      await this.boss.send(QUEUE, body, {
        db: { executeSql: (text: string, values?: unknown[]) => client.query(text, values) },
      });
      await client.query('commit');
    } finally {
      client.release();
    }
  }

  async consume(handler: BenchHandler, concurrency: number) {
    await this.boss.work<BenchBody>(
      QUEUE,
      { batchSize: BATCH, localConcurrency: concurrency, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 },
      async (jobs) => {
        for (const job of jobs) await handler(job.data);
      },
    );
    return async () => {
      await this.boss.offWork(QUEUE);
    };
  }

  async remaining(): Promise<number> {
    const { rows } = await this.admin.query(
      `select count(*)::int as n from pgboss.job where name = $1 and state in ('created', 'retry', 'active')`,
      [QUEUE],
    );
    return rows[0].n;
  }

  async close(): Promise<void> {
    await this.admin?.end();
    await this.callers?.end();
    await this.boss?.stop({ graceful: true, timeout: 10_000 });
  }
}
