import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type ActivityCounters, countTransactions, listTopicGroups, readActivityCounters } from 'postbox';
import { POSTBOX, type Postbox, SERVER_OPTIONS } from '../postbox.provider';
import type { ServerOptions } from '../server-options';
import { type QueueSample, type QueueSettingsSample, type Rates, type Sample, StatsHistory } from './stats-history';

/** An hour at the default interval: what a reload shows without touching the database. */
const HISTORY_MS = 60 * 60 * 1000;
/**
 * Rates are taken over at least this long: backends publish their table
 * counts about once a second, so a 1 s sample alternates between 0 and
 * twice the true rate; over 5 s the error is under 20%.
 */
const RATE_WINDOW_MS = 5_000;

type Listener = (sample: Sample) => void;

/**
 * Reads queue depth, half-message counts and throughput every few seconds,
 * once for the whole service however many dashboards are open, and keeps the
 * samples in memory. Depth comes from listQueues (the same statement GET
 * /v1/queues runs: exact up to 10k messages a queue, a shared snapshot
 * above), so a sample costs the same with 1M messages waiting as with 10;
 * viewers get it pushed (dashboard-events.controller.ts) and never query.
 */
@Injectable()
export class StatsSampler implements OnModuleInit, OnModuleDestroy {
  readonly sampleMs: number;
  readonly history: StatsHistory;
  private readonly listeners = new Set<Listener>();
  /** Open event streams, each by its closer: shutdown ends them, or the HTTP server would wait on them. */
  readonly streams = new Set<() => void>();
  private readonly logger = new Logger('Dashboard');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Counter readings of the last RATE_WINDOW_MS, oldest first. */
  private readings: { at: number; counters: ActivityCounters }[] = [];
  private failing = false;

  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(SERVER_OPTIONS) options: ServerOptions,
  ) {
    this.sampleMs = options.dashboardSampleMs;
    this.history = new StatsHistory(Math.ceil(HISTORY_MS / this.sampleMs));
  }

  onModuleInit(): void {
    const tick = () => {
      // A slow database never stacks samples: a tick while one runs is skipped.
      this.running ??= this.sample().finally(() => {
        this.running = undefined;
      });
    };
    tick();
    this.timer = setInterval(tick, this.sampleMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    for (const end of [...this.streams]) end();
    this.listeners.clear();
    await this.running;
  }

  /** Called with every new sample until the returned function is called. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async sample(): Promise<void> {
    const at = Date.now();
    let sample: Sample;
    try {
      const [queues, topics, transactions, counters] = await Promise.all([
        this.postbox.listQueues(),
        listTopicGroups(this.postbox.db, { schema: this.postbox.schema }),
        countTransactions(this.postbox.db, { schema: this.postbox.schema }),
        readActivityCounters(this.postbox.db, { schema: this.postbox.schema }),
      ]);
      sample = {
        at,
        queues: queues.map(
          (q): QueueSample => ({
            name: q.name,
            ready: q.ready,
            delayed: q.delayed,
            inFlight: q.inFlight,
            dead: q.dead,
            oldestReadyAgeMs: q.oldestReadyAgeMs,
            paused: (q as { paused?: boolean }).paused === true,
          }),
        ),
        rates: this.rates(at, counters),
        transactions,
        catalog: {
          queues: queues.map(
            ({ ready, delayed, inFlight, dead, oldestReadyAgeMs, exact, ...settings }): QueueSettingsSample => settings,
          ),
          topics,
        },
      };
      if (this.failing) this.logger.log('dashboard sampling works again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn(`dashboard sample failed: ${(error as Error).message}`);
      this.failing = true;
      sample = { at, queues: [], rates: null, transactions: [], error: 'database unavailable' };
    }
    this.history.push(sample);
    for (const listener of this.listeners) listener(sample);
  }

  /** Per second over the last RATE_WINDOW_MS (or since the first reading); a statistics reset starts over. */
  private rates(at: number, counters: ActivityCounters | null): Rates | null {
    if (!counters) {
      this.readings = [];
      return null;
    }
    const previous = this.readings.at(-1);
    if (previous && counters.inserted < previous.counters.inserted) this.readings = [];
    this.readings.push({ at, counters });
    while ((this.readings[1]?.at ?? at) <= at - RATE_WINDOW_MS) this.readings.shift();
    const from = this.readings[0];
    if (!from || from.at === at) return null;
    const seconds = (at - from.at) / 1000;
    const per = (now: number, before: number) => Math.max(0, Math.round(((now - before) / seconds) * 10) / 10);
    const deadLettered = per(counters.deadLettered, from.counters.deadLettered);
    return {
      sent: per(counters.inserted, from.counters.inserted),
      // A dead-lettered message leaves messages too: it is counted once, as dead-lettered.
      acked: Math.max(0, per(counters.deleted, from.counters.deleted) - deadLettered),
      deadLettered,
    };
  }
}
