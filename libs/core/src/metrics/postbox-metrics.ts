/**
 * What the core reports as it works: the seam a metrics system plugs into
 * (PostboxOptions.metrics). Framework-free on purpose: prometheusMetrics()
 * (prometheus-metrics.ts) adapts it to prom-client, and an app may implement
 * it for OpenTelemetry, StatsD or its logs. Every method is optional and
 * called synchronously on the hot path: keep implementations to counter
 * increments (no I/O, no awaits).
 *
 * Counts are what THIS process did (its sends, claims, acks), not the
 * database's totals: sum them over processes, as Prometheus does. Nothing
 * here reads the database, so a scrape costs the same at 1M waiting as at 10.
 */
export interface PostboxMetrics {
  /**
   * Messages stored by send/sendBatch (duplicates by dedupKey not included).
   * Inside the caller's transaction (`trx`) it counts when the statement
   * ran: an outbox transaction rolled back afterwards was still counted.
   */
  sent?(queue: string, count: number): void;
  /** Messages handed to a receiver or a consumer by one claim. */
  delivered?(queue: string, count: number): void;
  /**
   * Deliveries that were not a message's first: after a nack's retry or a
   * lease that ran out. (retried counts the former, so redelivered minus
   * retried approximates lease expiries.)
   */
  redelivered?(queue: string, count: number): void;
  acked?(queue: string, count: number): void;
  /** Failed deliveries that will be tried again (nack with attempts left). */
  retried?(queue: string, count: number): void;
  /** Failed deliveries moved to the dead letters (or the dead-letter queue). */
  deadLettered?(queue: string, count: number): void;
  /** Messages that outlived their TTL undelivered. */
  expired?(queue: string, count: number): void;
  /** A handler's run, in seconds, and how it ended. */
  handlerDuration?(queue: string, seconds: number, outcome: 'success' | 'failure'): void;
  /** One claim statement's round trip, in seconds (receive or a consumer's claim). */
  claimLatency?(queue: string, seconds: number): void;
  /** From enqueue to the handler's success (the ack follows at once, batched), in seconds. */
  endToEndLatency?(queue: string, seconds: number): void;
  /**
   * A half message reached a state: prepared, committed, rolledBack (by this
   * process's calls or its check-back runner) or expired. A repeated commit
   * or rollback (a no-op) counts again.
   */
  transaction?(state: 'prepared' | 'committed' | 'rolledBack' | 'expired'): void;
  /** A check-back ended: committed, rolledBack, retrying, expired, alreadyResolved, stale. */
  checkback?(outcome: string): void;
  /** The process's LISTEN connection, read by the metrics system when it collects. */
  listener?(health: ListenerHealth): void;
}

/** Live view of the wake-up listener (wakeups/wakeup-listener.ts). */
export interface ListenerHealth {
  readonly connected: boolean;
  /** Connections made, the first included. */
  readonly connects: number;
  /** Date.now() of the last notification received, or null. */
  readonly lastNotificationAt: number | null;
}
