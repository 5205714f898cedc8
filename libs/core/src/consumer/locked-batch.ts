import type { Delivery } from '../database/receipt';
import type { LockedMessage } from '../messages/claim-locked';
import type { FailedDelivery } from '../messages/nack';

export type Outcome = { ack: true } | { ack: false; error: string | null; deadLetter?: boolean } | { release: true };

/**
 * One lock-mode claim: its rows stay locked by an open transaction until
 * every message in it is settled (acked, failed, or released untouched), and
 * then the acks and nacks go out in that transaction before it commits. The
 * consumer keeps one of these per open claim transaction.
 */
export class LockedBatch {
  readonly acks: Delivery[] = [];
  readonly failures: FailedDelivery[] = [];
  private readonly unsettled: Set<string>;
  private finish!: () => void;
  /** Resolves once every message is settled, or the batch is cut short by stop(). */
  readonly settled = new Promise<void>((resolve) => {
    this.finish = resolve;
  });

  constructor(readonly messages: readonly LockedMessage[]) {
    this.unsettled = new Set(messages.map((m) => m.id));
    if (this.unsettled.size === 0) this.finish();
  }

  /** Records a message's outcome; a second outcome for it (after cutShort) is ignored. */
  settle(message: LockedMessage, outcome: Outcome): void {
    if (!this.unsettled.delete(message.id)) return;
    if ('release' in outcome) {
      // Nothing to write: the commit drops the lock and the row is ready again, no attempt counted.
    } else if (outcome.ack) this.acks.push({ id: message.id, token: message.leaseToken });
    else
      this.failures.push({
        id: message.id,
        token: message.leaseToken,
        error: outcome.error,
        deadLetter: outcome.deadLetter,
      });
    if (this.unsettled.size === 0) this.finish();
  }

  /**
   * Commits what is settled and lets the rest go back (stop() timed out on a
   * handler): its message is released and will be delivered again.
   */
  cutShort(): void {
    this.unsettled.clear();
    this.finish();
  }
}
