import { Logger, makeWorkerUtils, type Runner, run, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import type { BenchBody, BenchHandler, Peer } from '../peer';

const TASK = 'bench';
const silent = new Logger(() => () => {});

/**
 * graphile-worker 0.18 as its performance page configures it for throughput:
 * localQueue (a pool-wide batch fetch, size 500 as on
 * worker.graphile.org/docs/performance), batched job completion and failure
 * (completeJobBatchDelay / failJobBatchDelay 0), prepared statements (its
 * default), concurrency 10, a pool one larger than the concurrency.
 * Enqueue goes through addJobs (one call per batch); single sends through
 * addJob (the add_job SQL function, which NOTIFYs inside the transaction).
 */
export class GraphileWorkerPeer implements Peer {
  readonly name = 'graphile-worker';
  readonly configuration =
    'v0.18: localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0, concurrency 10, pool 11';
  private utils!: WorkerUtils;
  private admin!: pg.Client;
  /** The caller's own connections, for sends inside its transactions. */
  private callers!: pg.Pool;

  constructor(readonly url: string) {}

  async start(): Promise<void> {
    this.utils = await makeWorkerUtils({ connectionString: this.url, logger: silent });
    await this.utils.migrate();
    this.admin = new pg.Client(this.url);
    await this.admin.connect();
    this.callers = new pg.Pool({ connectionString: this.url, max: 10 });
  }

  async clean(): Promise<void> {
    await this.admin.query('truncate graphile_worker._private_jobs cascade');
    await this.admin.query('vacuum analyze graphile_worker._private_jobs');
  }

  async enqueueBatch(bodies: BenchBody[]): Promise<void> {
    await this.utils.addJobs(bodies.map((payload) => ({ identifier: TASK, payload })));
  }

  async sendOne(body: BenchBody): Promise<void> {
    await this.utils.addJob(TASK, body);
  }

  /** graphile_worker.add_job in the caller's transaction, as its docs show for enqueueing from SQL. */
  async sendOneInTransaction(body: BenchBody): Promise<void> {
    const client = await this.callers.connect();
    try {
      await client.query('begin');
      await client.query('select graphile_worker.add_job($1, $2::json)', [TASK, JSON.stringify(body)]);
      await client.query('commit');
    } finally {
      client.release();
    }
  }

  async consume(handler: BenchHandler, concurrency: number) {
    const runner: Runner = await run({
      connectionString: this.url,
      concurrency,
      noHandleSignals: true,
      logger: silent,
      taskList: { [TASK]: async (payload) => handler(payload as BenchBody) },
      preset: {
        worker: {
          maxPoolSize: concurrency + 1,
          localQueue: { size: 500 },
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
      },
    });
    return () => runner.stop();
  }

  async remaining(): Promise<number> {
    const { rows } = await this.admin.query('select count(*)::int as n from graphile_worker._private_jobs');
    return rows[0].n;
  }

  async close(): Promise<void> {
    await this.admin?.end();
    await this.callers?.end();
    await this.utils?.release();
  }
}
