import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { POSTBOX, type Postbox } from '../postbox.provider';

/**
 * Keeps the time-partitioned archives (acked queue messages, published topic
 * messages) in shape: creates the coming hourly partitions and drops the
 * expired ones. Runs at start and every 5 minutes; partitions are created 3
 * hours ahead, so a few missed runs change nothing (rows would otherwise
 * land in the default partition and be moved later). Several service
 * processes take turns on an advisory lock.
 */
@Injectable()
export class ArchiveMaintenance implements OnApplicationBootstrap, OnModuleDestroy {
  static readonly INTERVAL_MS = 5 * 60_000;
  private readonly logger = new Logger('ArchiveMaintenance');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(@Inject(POSTBOX) private readonly postbox: Postbox) {}

  onApplicationBootstrap(): void {
    const tick = () => {
      this.running ??= this.run().finally(() => {
        this.running = undefined;
      });
    };
    tick();
    this.timer = setInterval(tick, ArchiveMaintenance.INTERVAL_MS);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    try {
      const { created, dropped, busy } = await this.postbox.maintainArchive();
      if (created.length + dropped.length > 0) {
        this.logger.log(`archive partitions: created ${created.length}, dropped ${dropped.join(', ') || 'none'}`);
      }
      if (busy.length > 0) this.logger.warn(`archive partitions still locked, retried next run: ${busy.join(', ')}`);
    } catch (error) {
      this.logger.warn(`archive maintenance failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
