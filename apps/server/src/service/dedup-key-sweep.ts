import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { purgeExpiredDedupKeys } from '../../../../libs/core/src/messages/purge-dedup-keys';
import { POSTBOX, type Postbox, SERVER_OPTIONS } from '../postbox.provider';
import type { ServerOptions } from '../server-options';

/**
 * Deletes dedup keys whose window has passed. Sends ignore expired keys
 * anyway (they are taken over), so this only keeps the table small; once a
 * minute is plenty and several service processes doing it is harmless.
 */
@Injectable()
export class DedupKeySweep implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DedupKeySweep');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(SERVER_OPTIONS) private readonly options: ServerOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => {
        this.running = undefined;
      });
    }, this.options.dedupSweepIntervalMs);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    try {
      const deleted = await purgeExpiredDedupKeys(this.postbox.db, { schema: this.postbox.schema });
      if (deleted > 0) this.logger.debug(`deleted ${deleted} expired dedup keys`);
    } catch (error) {
      this.logger.warn(`dedup key sweep failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
