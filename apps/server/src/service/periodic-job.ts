import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';

/**
 * The lifecycle every background sweep of the service shares: a timer that
 * never lets two passes of the same job overlap, an optional pass at start,
 * failures logged (the next pass tries again), and on shutdown no new pass
 * and the running one awaited.
 */
export abstract class PeriodicJob implements OnApplicationBootstrap, OnModuleDestroy {
  protected readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  protected constructor(
    private readonly name: string,
    private readonly schedule: { intervalMs: number; runAtStart: boolean },
  ) {
    this.logger = new Logger(name);
  }

  /** One pass of the job. Throwing is fine: it is logged and retried next time. */
  protected abstract runOnce(): Promise<void>;

  onApplicationBootstrap(): void {
    const tick = () => {
      this.running ??= this.runOnce()
        .catch((error) => {
          this.logger.warn(`${this.name} failed: ${error instanceof Error ? error.message : String(error)}`);
        })
        .finally(() => {
          this.running = undefined;
        });
    };
    if (this.schedule.runAtStart) tick();
    this.timer = setInterval(tick, this.schedule.intervalMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
