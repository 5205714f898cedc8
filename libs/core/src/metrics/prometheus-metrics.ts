import type { ListenerHealth, PostboxMetrics } from './postbox-metrics';

/** The part of a prom-client Registry used here (typed so the core needs no prom-client types). */
export interface PromRegistry {
  registerMetric(metric: unknown): void;
}

interface PromMetricConfig {
  name: string;
  help: string;
  labelNames?: readonly string[];
  buckets?: number[];
  registers: PromRegistry[];
  collect?: (this: PromMetric) => void;
}

interface PromMetric {
  inc(labels: Record<string, string>, value?: number): void;
  inc(value?: number): void;
  set(value: number): void;
  observe(labels: Record<string, string>, value: number): void;
}

interface PromClient {
  Counter: new (config: PromMetricConfig) => PromMetric;
  Gauge: new (config: PromMetricConfig) => PromMetric;
  Histogram: new (config: PromMetricConfig) => PromMetric;
}

export interface PrometheusMetricsOptions {
  /** Histogram buckets in seconds for handler, claim and end-to-end latency. */
  buckets?: number[];
  /** The app's prom-client module, when the core cannot resolve it (e.g. bundled apps). */
  promClient?: unknown;
}

/** 0.5 ms to 5 min: claims take ~1 ms, handlers and end-to-end may take minutes. */
const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * PostboxMetrics recorded in a prom-client Registry the app passes in
 * (`Postbox.create({ metrics: prometheusMetrics(registry) })`). prom-client
 * is an optional peer dependency: it is loaded here, on first call, so a
 * core-only install never needs it.
 */
export function prometheusMetrics(registry: PromRegistry, options: PrometheusMetricsOptions = {}): PostboxMetrics {
  const prom = (options.promClient ?? loadPromClient()) as PromClient;
  const registers = [registry];
  const buckets = options.buckets ?? DEFAULT_BUCKETS;
  const counter = (name: string, help: string, labelNames: string[]) =>
    new prom.Counter({ name, help, labelNames, registers });
  const histogram = (name: string, help: string, labelNames: string[]) =>
    new prom.Histogram({ name, help, labelNames, buckets, registers });
  const perQueue = (what: string, help: string) => counter(`postbox_messages_${what}_total`, help, ['queue']);

  const sent = perQueue('sent', 'Messages stored by this process (dedup duplicates excluded)');
  const delivered = perQueue('delivered', 'Messages handed to receivers and consumers');
  const redelivered = perQueue('redelivered', "Deliveries that were not a message's first (retry or lease ran out)");
  const acked = perQueue('acked', 'Messages acknowledged');
  const retried = perQueue('retried', 'Failed deliveries scheduled for another attempt');
  const deadLettered = perQueue('dead_lettered', 'Failed deliveries moved to the dead letters');
  const expired = perQueue('expired', 'Messages that outlived their TTL undelivered');
  const handler = histogram('postbox_handler_duration_seconds', 'Consumer handler run time', ['queue', 'outcome']);
  const claim = histogram('postbox_claim_duration_seconds', 'Claim statement round trip', ['queue']);
  const endToEnd = histogram('postbox_end_to_end_latency_seconds', 'Enqueue to successful handling', ['queue']);
  const transactions = counter('postbox_transactions_total', 'Half messages reaching a state', ['state']);
  const checkbacks = counter('postbox_checkbacks_total', 'Check-back calls by outcome', ['outcome']);

  const listeners: ListenerHealth[] = [];
  new prom.Gauge({
    name: 'postbox_listener_connected',
    help: '1 while the LISTEN connection for wake-ups is up',
    registers,
    collect() {
      this.set(listeners.length > 0 && listeners.every((l) => l.connected) ? 1 : 0);
    },
  });
  let reconnectsSeen = 0;
  new prom.Counter({
    name: 'postbox_listener_reconnects_total',
    help: 'LISTEN connections re-established after a loss',
    registers,
    collect() {
      const now = listeners.reduce((sum, l) => sum + Math.max(0, l.connects - 1), 0);
      if (now > reconnectsSeen) this.inc(now - reconnectsSeen);
      reconnectsSeen = Math.max(reconnectsSeen, now);
    },
  });
  new prom.Gauge({
    name: 'postbox_listener_last_notification_age_seconds',
    help: 'Seconds since the last wake-up notification (-1 before the first)',
    registers,
    collect() {
      const last = Math.max(...listeners.map((l) => l.lastNotificationAt ?? -1), -1);
      this.set(last < 0 ? -1 : (Date.now() - last) / 1000);
    },
  });

  return {
    sent: (queue, n) => sent.inc({ queue }, n),
    delivered: (queue, n) => delivered.inc({ queue }, n),
    redelivered: (queue, n) => redelivered.inc({ queue }, n),
    acked: (queue, n) => acked.inc({ queue }, n),
    retried: (queue, n) => retried.inc({ queue }, n),
    deadLettered: (queue, n) => deadLettered.inc({ queue }, n),
    expired: (queue, n) => expired.inc({ queue }, n),
    handlerDuration: (queue, seconds, outcome) => handler.observe({ queue, outcome }, seconds),
    claimLatency: (queue, seconds) => claim.observe({ queue }, seconds),
    endToEndLatency: (queue, seconds) => endToEnd.observe({ queue }, seconds),
    transaction: (state) => transactions.inc({ state }),
    checkback: (outcome) => checkbacks.inc({ outcome }),
    listener: (health) => {
      listeners.push(health);
    },
  };
}

function loadPromClient(): unknown {
  try {
    return require('prom-client');
  } catch (error) {
    throw new Error(
      `prometheusMetrics needs the prom-client package: npm install prom-client (${(error as Error).message})`,
    );
  }
}
