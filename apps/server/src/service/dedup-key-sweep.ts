import { Inject, Injectable } from '@nestjs/common';
import { purgeExpiredDedupKeys } from '../../../../libs/core/src/messages/purge-dedup-keys';
import { POSTBOX, type Postbox, SERVER_OPTIONS } from '../postbox.provider';
import type { ServerOptions } from '../server-options';
import { PeriodicJob } from './periodic-job';

/**
 * Deletes dedup keys whose window has passed. Sends ignore expired keys
 * anyway (they are taken over), so this only keeps the table small; once a
 * minute is plenty and several service processes doing it is harmless.
 */
@Injectable()
export class DedupKeySweep extends PeriodicJob {
  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(SERVER_OPTIONS) options: ServerOptions,
  ) {
    super('DedupKeySweep', { intervalMs: options.dedupSweepIntervalMs, runAtStart: false });
  }

  protected async runOnce(): Promise<void> {
    const deleted = await purgeExpiredDedupKeys(this.postbox.db, { schema: this.postbox.schema });
    if (deleted > 0) this.logger.debug(`deleted ${deleted} expired dedup keys`);
  }
}
