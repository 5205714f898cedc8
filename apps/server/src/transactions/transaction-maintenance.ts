import { Inject, Injectable } from '@nestjs/common';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { PeriodicJob } from '../service/periodic-job';
import { TRANSACTION_SETTINGS, type TransactionSettings } from './transaction-settings';

/**
 * Deletes exactly-once inbox rows and resolved half messages past their
 * retention (a week by default), in batches of 10,000 per statement. Runs at
 * start and every 10 minutes; several service processes doing it at once is
 * harmless (they delete disjoint or already-deleted rows).
 */
@Injectable()
export class TransactionMaintenance extends PeriodicJob {
  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(TRANSACTION_SETTINGS) private readonly settings: TransactionSettings,
  ) {
    super('TransactionMaintenance', { intervalMs: settings.maintenanceIntervalMs, runAtStart: true });
  }

  protected async runOnce(): Promise<void> {
    const limit = 10_000;
    let inbox = 0;
    let transactions = 0;
    for (let n = limit; n === limit; inbox += n) {
      n = await this.postbox.pruneInbox({ retentionMs: this.settings.inboxRetentionMs, limit });
    }
    for (let n = limit; n === limit; transactions += n) {
      n = await this.postbox.purgeResolvedTransactions({ retentionMs: this.settings.transactionRetentionMs, limit });
    }
    if (inbox + transactions > 0) {
      this.logger.log(`deleted ${inbox} inbox rows and ${transactions} resolved transactions past retention`);
    }
  }
}
