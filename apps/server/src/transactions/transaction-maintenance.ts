import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { TRANSACTION_SETTINGS, type TransactionSettings } from './transaction-settings';

/**
 * Deletes exactly-once inbox rows and resolved half messages past their
 * retention (a week by default), in batches of 10,000 per statement. Runs at
 * start and every 10 minutes; several service processes doing it at once is
 * harmless (they delete disjoint or already-deleted rows).
 */
@Injectable()
export class TransactionMaintenance implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('TransactionMaintenance');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(TRANSACTION_SETTINGS) private readonly settings: TransactionSettings,
  ) {}

  onApplicationBootstrap(): void {
    const tick = () => {
      this.running ??= this.run().finally(() => {
        this.running = undefined;
      });
    };
    tick();
    this.timer = setInterval(tick, this.settings.maintenanceIntervalMs);
    this.timer.unref();
  }

  /** One pass; public so tests can run it. */
  async run(): Promise<{ inbox: number; transactions: number }> {
    const limit = 10_000;
    let inbox = 0;
    let transactions = 0;
    try {
      for (let n = limit; n === limit; inbox += n) {
        n = await this.postbox.pruneInbox({ retentionMs: this.settings.inboxRetentionMs, limit });
      }
      for (let n = limit; n === limit; transactions += n) {
        n = await this.postbox.purgeResolvedTransactions({ retentionMs: this.settings.transactionRetentionMs, limit });
      }
      if (inbox + transactions > 0) {
        this.logger.log(`deleted ${inbox} inbox rows and ${transactions} resolved transactions past retention`);
      }
    } catch (error) {
      this.logger.warn(`transaction maintenance failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { inbox, transactions };
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
