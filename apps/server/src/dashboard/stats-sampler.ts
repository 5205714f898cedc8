import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { type ActivityCounters, countTransactions, listTopicGroups, readActivityCounters } from 'postbox';
import { POSTBOX, type Postbox, SERVER_OPTIONS } from '../postbox.provider';
import type { ServerOptions } from '../server-options';
import { type QueueSample, type QueueSettingsSample, type Rates, type Sample, StatsHistory } from './stats-history';

/** An hour at the default interval: what a reload shows without touching the database. */
const HISTORY_MS = 60 * 60 * 1000;

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
  private last: { at: number; counters: ActivityCounters } | null = null;
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

  /** Per second since the previous reading; a statistics reset (counters going down) starts over. */
  private rates(at: number, counters: ActivityCounters | null): Rates | null {
    const previous = this.last;
    this.last = counters && { at, counters };
    if (!previous || !counters || counters.inserted < previous.counters.inserted) return null;
    const seconds = Math.max((at - previous.at) / 1000, 0.001);
    const per = (now: number, before: number) => Math.max(0, Math.round(((now - before) / seconds) * 10) / 10);
    const deadLettered = per(counters.deadLettered, previous.counters.deadLettered);
    return {
      sent: per(counters.inserted, previous.counters.inserted),
      // A dead-lettered message leaves messages too: it is counted once, as dead-lettered.
      acked: Math.max(0, per(counters.deleted, previous.counters.deleted) - deadLettered),
      deadLettered,
    };
  }
}
