import { Inject, Injectable } from '@nestjs/common';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { HttpRequest, HttpResponse, NextFunction } from '../http-types';
import { POSTBOX, type Postbox, SERVER_OPTIONS } from '../postbox.provider';
import type { ServerOptions } from '../server-options';

/**
 * The service's Prometheus registry: process metrics, requests per route,
 * and queue depth read from the database on each scrape (so the numbers are
 * the database's, not this process's view). One registry per app, not
 * prom-client's global one, so several apps can live in one process (tests).
 */
@Injectable()
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly durations: Histogram<'method' | 'route' | 'status'>;
  private readonly messages: Gauge<'queue' | 'state'>;
  private readonly oldestReadyAge: Gauge<'queue'>;
  private readonly paused: Gauge<'queue'>;
  private readonly databaseUp: Gauge;

  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(SERVER_OPTIONS) private readonly options: ServerOptions,
  ) {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'postbox_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.durations = new Histogram({
      name: 'postbox_http_request_duration_seconds',
      help: 'HTTP request duration by route and status (long polls included)',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.messages = new Gauge({
      name: 'postbox_queue_messages',
      help: 'Messages per queue and state (ready, delayed, inFlight, dead)',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
    });
    this.oldestReadyAge = new Gauge({
      name: 'postbox_queue_oldest_ready_age_seconds',
      help: 'Age of the oldest ready message per queue (0 when none is ready)',
      labelNames: ['queue'],
      registers: [this.registry],
    });
    this.paused = new Gauge({
      name: 'postbox_queue_paused',
      help: '1 while the queue is paused (receives and consumers get nothing; sends still land)',
      labelNames: ['queue'],
      registers: [this.registry],
    });
    this.databaseUp = new Gauge({
      name: 'postbox_database_up',
      help: '1 when the last scrape could read queue depth from the database',
      registers: [this.registry],
    });
  }

  /**
   * Reads queue depth for a scrape: one listQueues query fills every queue
   * gauge (prom-client's per-metric collect() hooks run in parallel, so they
   * could not share one query). listQueues is the core's stats function, cheap
   * at any backlog (no count of waiting rows per scrape: see queue-stats.ts);
   * the core's counters (sent, acked, latencies…) come from the Postbox's own
   * registry, in memory, merged in.
   */
  async scrape(): Promise<string> {
    this.messages.reset();
    this.oldestReadyAge.reset();
    this.paused.reset();
    try {
      for (const queue of await this.postbox.listQueues()) {
        for (const state of ['ready', 'delayed', 'inFlight', 'dead'] as const) {
          this.messages.set({ queue: queue.name, state }, queue[state]);
        }
        this.oldestReadyAge.set({ queue: queue.name }, (queue.oldestReadyAgeMs ?? 0) / 1000);
        this.paused.set({ queue: queue.name }, queue.paused ? 1 : 0);
      }
      this.databaseUp.set(1);
    } catch {
      this.databaseUp.set(0);
    }
    const core = this.options.metricsRegistry;
    return core ? Registry.merge([this.registry, core]).metrics() : this.registry.metrics();
  }

  /** Express middleware: counts every request under its route pattern, not its URL. */
  readonly middleware = (req: HttpRequest, res: HttpResponse, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      this.requests.inc(labels);
      this.durations.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
