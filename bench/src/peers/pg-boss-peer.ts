import pg from 'pg';
import PgBoss from 'pg-boss';
import type { BenchBody, BenchHandler, Peer } from '../peer';

const QUEUE = 'bench';
const BATCH = 100;

/**
 * pg-boss 10. It has no LISTEN/NOTIFY (its workers poll; 0.5 s is the
 * minimum interval it accepts), so the throughput configuration is batch
 * fetch: `concurrency` workers (pg-boss 10's way to run handlers in
 * parallel) each fetching up to 100 jobs and completing them in one call.
 * A worker that got a full batch is re-woken at once with notifyWorker (its
 * documented way to skip the poll delay), so a backlog drains without
 * waiting 0.5 s per batch. Maintenance and cron supervision are off for the run.
 */
export class PgBossPeer implements Peer {
  readonly name = 'pg-boss';
  readonly configuration = 'v10: batchSize 100 × concurrency workers, polling 0.5 s (no LISTEN), pool 10';
  private boss!: PgBoss;
  private admin!: pg.Client;

  constructor(readonly url: string) {}

  async start(): Promise<void> {
    this.boss = new PgBoss({
      connectionString: this.url,
      max: 10,
      supervise: false,
      schedule: false,
      pollingIntervalSeconds: 0.5,
    });
    this.boss.on('error', () => {});
    await this.boss.start();
    await this.boss.createQueue(QUEUE);
    this.admin = new pg.Client(this.url);
    await this.admin.connect();
  }

  async clean(): Promise<void> {
    await this.admin.query('truncate pgboss.job, pgboss.archive');
    await this.admin.query('vacuum analyze pgboss.job');
  }

  async enqueueBatch(bodies: BenchBody[]): Promise<void> {
    await this.boss.insert(bodies.map((data) => ({ name: QUEUE, data })));
  }

  async sendOne(body: BenchBody): Promise<void> {
    await this.boss.send(QUEUE, body);
  }

  async consume(handler: BenchHandler, concurrency: number) {
    const ids: string[] = [];
    for (let i = 0; i < concurrency; i++) {
      const id: string = await this.boss.work<BenchBody>(QUEUE, { batchSize: BATCH }, async (jobs) => {
        for (const job of jobs) handler(job.data);
        if (jobs.length === BATCH) this.boss.notifyWorker(id);
      });
      ids.push(id);
    }
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
    await this.boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
