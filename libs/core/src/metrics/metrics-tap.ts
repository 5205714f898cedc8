import type { PostboxMetrics } from './postbox-metrics';

/**
 * The calls the core makes into PostboxMetrics, each a pass-through so a
 * call site stays one line (`.then(tap.acked(queue))`). With no metrics
 * configured every method is a no-op.
 */
export class MetricsTap {
  private readonly m: PostboxMetrics;

  /** `metrics`: as configured (undefined: none, and consumers skip their metered events). */
  constructor(readonly metrics?: PostboxMetrics) {
    this.m = metrics ?? {};
  }

  sent(queue: string) {
    return <R extends { ids: string[]; duplicates: number[] }>(result: R): R => {
      this.m.sent?.(queue, result.ids.length - result.duplicates.length);
      return result;
    };
  }

  sentOne(queue: string) {
    return <R extends { duplicate: boolean }>(result: R): R => {
      if (!result.duplicate) this.m.sent?.(queue, 1);
      return result;
    };
  }

  /**
   * One claim's messages (receive: REST, SQS, long polls; consumers report
   * through metered-delivery-events.ts). Their attempts include this delivery.
   */
  claimed(queue: string, startedAt: number) {
    return <M extends { attempts: number }>(messages: M[]): M[] => {
      this.m.claimLatency?.(queue, (performance.now() - startedAt) / 1000);
      if (messages.length === 0) return messages;
      this.m.delivered?.(queue, messages.length);
      const again = messages.filter((m) => m.attempts > 1).length;
      if (again > 0) this.m.redelivered?.(queue, again);
      return messages;
    };
  }

  acked(queue: string) {
    return <R extends { acked: number }>(result: R): R => {
      if (result.acked > 0) this.m.acked?.(queue, result.acked);
      return result;
    };
  }

  nacked(queue: string) {
    return <R extends { retried: number; deadLettered: number }>(result: R): R => {
      if (result.retried > 0) this.m.retried?.(queue, result.retried);
      if (result.deadLettered > 0) this.m.deadLettered?.(queue, result.deadLettered);
      return result;
    };
  }

  transaction(state: 'prepared' | 'committed' | 'rolledBack' | 'expired') {
    return <R>(result: R): R => {
      this.m.transaction?.(state);
      return result;
    };
  }

  /** A check-back's outcome; an expiry is also a half message's state. */
  checkback(outcome: string): void {
    this.m.checkback?.(outcome);
    if (outcome === 'expired') this.m.transaction?.('expired');
  }
}
