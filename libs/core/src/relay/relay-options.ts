import { InvalidInputError } from '../errors';

/** The routing key: fixed, or read from a message header (with a fallback when the header is absent). */
export type RoutingKeyOption = string | { header: string; fallback?: string };

/** amqplib's connect options object (hostname, port, username, password, vhost, heartbeat, …). */
export type AmqpConnectOptions = Record<string, unknown>;

export interface RelayOptions {
  /** The Postbox queue to relay. Exactly one of `queue` or `topic` + `group`. */
  queue?: string;
  /** A topic whose consumer group's queue is relayed (the group must be subscribed). */
  topic?: string;
  group?: string;
  /** `amqp://user:pass@host:port/vhost`. Exactly one of `url` or `connection`. */
  url?: string;
  /** amqplib's connect options object, for what a URL cannot say. */
  connection?: AmqpConnectOptions;
  /** The RabbitMQ exchange to publish to; it must exist ('' is the default exchange). */
  exchange: string;
  routingKey: RoutingKeyOption;
  /**
   * Publish with `mandatory`: a message no queue is bound for comes back
   * (basic.return) and is nacked in Postgres as unroutable, retried with the
   * queue's backoff and dead-lettered after maxAttempts with that reason,
   * instead of vanishing. Default true.
   */
  mandatory?: boolean;
  /** Publishes awaiting confirms at once (the consumer's concurrency). Default 200. */
  concurrency?: number;
  /** Messages claimed per statement. Default 100. */
  batchSize?: number;
  /** Lease per claim; default the queue's. Leases of messages waiting for the broker are extended. */
  visibilityTimeoutMs?: number;
  /** Safety-net poll while idle (the consumer's). Default 1000 ms. */
  pollIntervalMs?: number;
  /** Reconnect backoff: first delay and cap, doubling with jitter. Default 100 ms → 5000 ms. */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Broker and database errors (reported, then retried). */
  onError?: (error: unknown) => void;
}

export interface RelayStats {
  /** Messages handed to the broker (a republish after a lost connection counts again). */
  published: number;
  /** Publishes the broker confirmed; each is then acked in Postgres. */
  confirmed: number;
  /** Publishes the broker nacked (retried with the queue's backoff). */
  nacked: number;
  /** Publishes returned unroutable (mandatory). */
  returned: number;
  /** Publishes cut off by a lost connection and sent again after reconnecting. */
  republished: number;
  /** Successful broker connections (1 + reconnects). */
  connects: number;
  /** Messages given back to the queue unpublished when the relay stopped. */
  released: number;
}

export interface ResolvedRelayOptions extends RelayOptions {
  concurrency: number;
  batchSize: number;
  mandatory: boolean;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
}

/** Checks the options once, up front, naming the field that is wrong. */
export function resolveRelayOptions(options: RelayOptions): ResolvedRelayOptions {
  if (options === null || typeof options !== 'object') throw new InvalidInputError('relay', 'must be an object');
  const hasQueue = options.queue !== undefined;
  const hasTopic = options.topic !== undefined || options.group !== undefined;
  if (hasQueue === hasTopic) throw new InvalidInputError('queue', 'give either queue, or topic and group');
  if (hasTopic && (typeof options.topic !== 'string' || typeof options.group !== 'string')) {
    throw new InvalidInputError('topic', 'topic and group must both be strings');
  }
  if (hasQueue && typeof options.queue !== 'string') throw new InvalidInputError('queue', 'must be a string');
  if ((options.url === undefined) === (options.connection === undefined)) {
    throw new InvalidInputError('url', 'give either url or connection');
  }
  if (options.url !== undefined && typeof options.url !== 'string') {
    throw new InvalidInputError('url', 'must be a string');
  }
  if (typeof options.exchange !== 'string') throw new InvalidInputError('exchange', 'must be a string');
  const key = options.routingKey;
  const keyOk =
    typeof key === 'string' ||
    (key !== null &&
      typeof key === 'object' &&
      typeof key.header === 'string' &&
      key.header.length > 0 &&
      (key.fallback === undefined || typeof key.fallback === 'string'));
  if (!keyOk) throw new InvalidInputError('routingKey', 'must be a string or {header, fallback?}');
  const int = (value: number | undefined, field: string, fallback: number, min: number, max: number) => {
    const n = value ?? fallback;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidInputError(field, `must be an integer between ${min} and ${max}`);
    }
    return n;
  };
  return {
    ...options,
    concurrency: int(options.concurrency, 'concurrency', 200, 1, 10_000),
    batchSize: int(options.batchSize, 'batchSize', 100, 1, 1000),
    mandatory: options.mandatory ?? true,
    reconnectInitialMs: int(options.reconnect?.initialMs, 'reconnect.initialMs', 100, 1, 60_000),
    reconnectMaxMs: int(options.reconnect?.maxMs, 'reconnect.maxMs', 5_000, 1, 600_000),
  };
}
