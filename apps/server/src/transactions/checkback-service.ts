import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { CheckbackRunner } from 'postbox';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { TRANSACTION_SETTINGS, type TransactionSettings } from './transaction-settings';

/**
 * Runs the check-back runner for half messages while the service is up:
 * started on bootstrap, stopped (checks under way finish) on shutdown. Every
 * service instance runs one; SKIP LOCKED plus a lease keeps them from
 * checking one transaction twice at once.
 */
@Injectable()
export class CheckbackService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Checkback');
  private runner: CheckbackRunner | undefined;

  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(TRANSACTION_SETTINGS) private readonly settings: TransactionSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.runner = this.postbox.startCheckbackRunner({
      pollIntervalMs: this.settings.checkbackPollIntervalMs,
      checkTimeoutMs: this.settings.checkTimeoutMs,
      checkbackAllow: this.settings.checkbackAllow,
      onError: (error) => this.logger.warn(`check-back round failed: ${describe(error)}`),
      onCheck: (event) => {
        const line = `transaction ${event.transactionId} check ${event.check} via ${event.via}: ${event.outcome}`;
        if (event.outcome === 'expired') this.logger.warn(`${line} (${event.error})`);
        else if (event.error) this.logger.debug(`${line} (${event.error})`);
        else this.logger.log(line);
      },
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.runner?.stop();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
