/** The message every workload sends: a sequence number and the send-call time (performance.now()). */
export interface BenchBody {
  n: number;
  t: number;
}

export type BenchHandler = (body: BenchBody) => void | Promise<void>;

/**
 * One queue system under test. Every peer lives in its own schema (or broker
 * queue) on the same Postgres, and is configured the way its own docs
 * recommend for throughput; see each implementation for the exact options.
 */
export interface Peer {
  readonly name: string;
  /** Why this peer is configured as it is (printed under the table). */
  readonly configuration: string;
  start(): Promise<void>;
  /** Empties the queue (and any history the peer keeps) between workloads. */
  clean(): Promise<void>;
  /** One call per batch, as the peer's batch API does it. */
  enqueueBatch(bodies: BenchBody[]): Promise<void>;
  /** One message in its own transaction. */
  sendOne(body: BenchBody): Promise<void>;
  /**
   * One message sent inside a transaction the caller opened (BEGIN, the
   * peer's documented transactional enqueue, COMMIT): the outbox use.
   * Brokers outside the database have none.
   */
  sendOneInTransaction?(body: BenchBody): Promise<void>;
  /** Starts a consumer with `concurrency` handlers; resolves to its stop function. */
  consume(handler: BenchHandler, concurrency: number): Promise<() => Promise<void>>;
  /** Messages still waiting or in flight (to check a drain really finished). */
  remaining(): Promise<number>;
  close(): Promise<void>;
}
