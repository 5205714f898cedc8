import { Inject, Injectable } from '@nestjs/common';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { PeriodicJob } from '../service/periodic-job';

/**
 * Keeps the time-partitioned archives (acked queue messages, published topic
 * messages) in shape: creates the coming hourly partitions and drops the
 * expired ones. Runs at start and every 5 minutes; partitions are created 3
 * hours ahead, so a few missed runs change nothing (rows would otherwise
 * land in the default partition and be moved later). Several service
 * processes take turns on an advisory lock.
 */
@Injectable()
export class ArchiveMaintenance extends PeriodicJob {
  static readonly INTERVAL_MS = 5 * 60_000;

  constructor(@Inject(POSTBOX) private readonly postbox: Postbox) {
    super('ArchiveMaintenance', { intervalMs: ArchiveMaintenance.INTERVAL_MS, runAtStart: true });
  }

  protected async runOnce(): Promise<void> {
    const { created, dropped, busy } = await this.postbox.maintainArchive();
    if (created.length + dropped.length > 0) {
      this.logger.log(`archive partitions: created ${created.length}, dropped ${dropped.join(', ') || 'none'}`);
    }
    if (busy.length > 0) this.logger.warn(`archive partitions still locked, retried next run: ${busy.join(', ')}`);
  }
}
