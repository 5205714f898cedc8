import type { Executor } from '../database/database';
import { runDueSchedules } from './run-due-schedules';

export interface ScheduleRunnerOptions {
  /** Longest wait between passes (default 1 s): how soon a schedule created elsewhere is seen. */
  pollMs?: number;
  /** See TickOptions.graceMs (default 60 s). */
  graceMs?: number;
}

/**
 * The tick runner of one process: runs a pass when the earliest tick is due
 * (or every pollMs at the latest). Every process that uses Postbox runs one
 * inside its maintenance; exactly-once per tick comes from the database
 * (run-due-schedules.ts), so their number only adds redundancy.
 */
export class ScheduleRunner {
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly db: Executor,
    private readonly schema: string,
    private readonly options: ScheduleRunnerOptions,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): this {
    this.schedule(0);
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.pass;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.run(), delayMs);
    this.timer.unref();
  }

  private run(): void {
    const pollMs = this.options.pollMs ?? 1000;
    this.pass = runDueSchedules(this.db, { schema: this.schema, graceMs: this.options.graceMs })
      .then(({ nextDueAt }) => {
        const untilDue = nextDueAt ? nextDueAt.getTime() - Date.now() : pollMs;
        // At least 10 ms: a tick another process is committing right now stays "due" until it does.
        this.schedule(Math.min(pollMs, Math.max(10, untilDue)));
      })
      .catch((error) => {
        this.onError(error);
        this.schedule(pollMs);
      });
  }
}
