import type { ReceivedMessage } from '../messages/message';
import type { PostboxMetrics } from './postbox-metrics';

type HandlerLike<C> = (message: ReceivedMessage, context: C) => unknown;

/**
 * The calls the core makes into PostboxMetrics, each a pass-through so a
 * call site stays one line (`.then(tap.acked(queue))`). With no metrics
 * configured every method is a no-op.
 */
export class MetricsTap {
  constructor(readonly metrics: PostboxMetrics = {}) {}

  sent(queue: string) {
    return <R extends { ids: string[]; duplicates: number[] }>(result: R): R => {
      this.metrics.sent?.(queue, result.ids.length - result.duplicates.length);
      return result;
    };
  }

  sentOne(queue: string) {
    return <R extends { duplicate: boolean }>(result: R): R => {
      if (!result.duplicate) this.metrics.sent?.(queue, 1);
      return result;
    };
  }

  /**
   * One claim's messages. `counted`: whether each message's attempts
   * already include this delivery (a consumer's lease claim counts later).
   */
  claimed(queue: string, startedAt: number, counted = true) {
    return <M extends { attempts: number }>(messages: M[]): M[] => {
      this.metrics.claimLatency?.(queue, (performance.now() - startedAt) / 1000);
      if (messages.length === 0) return messages;
      this.metrics.delivered?.(queue, messages.length);
      const first = counted ? 1 : 0;
      const again = messages.filter((m) => m.attempts > first).length;
      if (again > 0) this.metrics.redelivered?.(queue, again);
      return messages;
    };
  }

  acked(queue: string) {
    return <R extends { acked: number }>(result: R): R => {
      this.ackedCount(queue, result.acked);
      return result;
    };
  }

  ackedCount(queue: string, count: number): void {
    if (count > 0) this.metrics.acked?.(queue, count);
  }

  nacked(queue: string) {
    return <R extends { retried: number; deadLettered: number }>(result: R): R => {
      if (result.retried > 0) this.metrics.retried?.(queue, result.retried);
      if (result.deadLettered > 0) this.metrics.deadLettered?.(queue, result.deadLettered);
      return result;
    };
  }

  /** Lock mode's nack answers one outcome per row. */
  nackedRows(queue: string) {
    return <R extends { outcome: 'retried' | 'dead' }>(rows: R[]): R[] => {
      const dead = rows.filter((r) => r.outcome === 'dead').length;
      this.nacked(queue)({ retried: rows.length - dead, deadLettered: dead });
      return rows;
    };
  }

  transaction(state: 'prepared' | 'committed' | 'rolledBack' | 'expired') {
    return <R>(result: R): R => {
      this.metrics.transaction?.(state);
      return result;
    };
  }

  /** A check-back's outcome; an expiry is also a half message's state. */
  checkback(outcome: string): void {
    this.metrics.checkback?.(outcome);
    if (outcome === 'expired') this.metrics.transaction?.('expired');
  }

  /** Times a handler: its duration, and on success the message's age (enqueue → done). */
  handler<C>(queue: string, handler: HandlerLike<C>): HandlerLike<C> {
    const m = this.metrics;
    if (!m.handlerDuration && !m.endToEndLatency) return handler;
    return async (message, context) => {
      const started = performance.now();
      try {
        const result = await handler(message, context);
        m.handlerDuration?.(queue, (performance.now() - started) / 1000, 'success');
        m.endToEndLatency?.(queue, Math.max(0, Date.now() - message.enqueuedAt.getTime()) / 1000);
        return result;
      } catch (error) {
        m.handlerDuration?.(queue, (performance.now() - started) / 1000, 'failure');
        throw error;
      }
    };
  }
}
