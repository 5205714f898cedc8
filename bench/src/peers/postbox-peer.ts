import pg from 'pg';
import type { ConsumeOptions, Consumer } from 'postbox';
import { Postbox } from 'postbox';
import type { BenchBody, BenchHandler, Peer } from '../peer';

export const POSTBOX_QUEUE = 'bench';

/**
 * Claim batch (= local buffer) for the bench: 500, as graphile-worker's
 * performance page sets its localQueue. Measured in one drain run at load
 * ~9 on the 2 cores: batch 10 → 1.2k msg/s, 100 → 3.9k, 500 → 12.7k; a
 * claim costs about the same whether it takes 10 rows or 500.
 */
export const BENCH_BATCH_SIZE = 500;

/**
 * Postbox as a user runs it for throughput: Postbox.create with its default
 * pool (10), the consumer with claim batch 500 and the workload's
 * concurrency; everything else default. Producers and the consumer use
 * separate Postbox instances (two pools of 10), as a producing service and a
 * worker would, and as graphile-worker's WorkerUtils (pool 10) and runner
 * (pool 11) do in its column. BENCH_POSTBOX_BATCH overrides the batch size.
 */
export class PostboxPeer implements Peer {
  readonly name: string;
  readonly configuration: string;
  /** The producing side (sends); also used by the backlog-scaling claims. */
  postbox!: Postbox;
  private consumer!: Postbox;
  private admin!: pg.Client;

  /**
   * `lock` is the headline column: the claim mode the README recommends for
   * throughput with short handlers. `lease` (the default mode, SQS-style)
   * runs as its own column, `postbox-lease`, so both are on the record.
   * `default` is `consume(queue, handler)` with nothing but the workload's
   * concurrency (lease mode, claim size chosen by the consumer): column
   * `postbox-default`, what a user who never tunes gets.
   */
  constructor(
    readonly url: string,
    private readonly claimMode: 'lock' | 'lease' | 'default' = 'lock',
  ) {
    this.name = claimMode === 'lock' ? 'postbox' : `postbox-${claimMode}`;
    this.configuration =
      claimMode === 'default'
        ? 'producer + consumer Postbox (pool 10 each), consume(queue, handler, { concurrency }) and nothing else'
        : `producer + consumer Postbox (pool 10 each), consumer claimMode '${claimMode}', batchSize 500, batched acks, group-committed single sends`;
  }

  async start(): Promise<void> {
    this.postbox = await Postbox.create({ connectionString: this.url, migrate: true });
    this.consumer = await Postbox.create({ connectionString: this.url });
    await this.postbox.createQueue(POSTBOX_QUEUE);
    this.admin = new pg.Client(this.url);
    await this.admin.connect();
  }

  async clean(): Promise<void> {
    await this.admin.query('truncate postbox.messages, postbox.dead_letters, postbox.dedup_keys');
    await this.admin.query('vacuum analyze postbox.messages');
  }

  async enqueueBatch(bodies: BenchBody[]): Promise<void> {
    await this.postbox.sendBatch(
      POSTBOX_QUEUE,
      bodies.map((body) => ({ body })),
    );
  }

  async sendOne(body: BenchBody): Promise<void> {
    await this.postbox.send(POSTBOX_QUEUE, { body });
  }

  /** The outbox path: the send inside the caller's own transaction (NOTIFY fires at its commit). */
  async sendOneInTransaction(body: BenchBody): Promise<void> {
    await this.postbox.db.transaction().execute((trx) => this.postbox.send(POSTBOX_QUEUE, { body }, { trx }));
  }

  async consume(handler: BenchHandler, concurrency: number, options: ConsumeOptions = {}) {
    const batch = process.env.BENCH_POSTBOX_BATCH ? Number(process.env.BENCH_POSTBOX_BATCH) : BENCH_BATCH_SIZE;
    const tuned: ConsumeOptions = this.claimMode === 'default' ? {} : { batchSize: batch, claimMode: this.claimMode };
    const consumer: Consumer = await this.consumer.consume(POSTBOX_QUEUE, (m) => handler(m.body as BenchBody), {
      concurrency,
      ...tuned,
      ...options,
    });
    return () => consumer.stop();
  }

  async remaining(): Promise<number> {
    const { rows } = await this.admin.query('select count(*)::int as n from postbox.messages');
    return rows[0].n;
  }

  async close(): Promise<void> {
    await this.admin?.end();
    await this.consumer?.close();
    await this.postbox?.close();
  }
}
