import { DeliveryEvents } from '../consumer/delivery-events';
import type { ReceivedMessage } from '../messages/message';
import type { PostboxMetrics } from './postbox-metrics';

/**
 * A consumer's delivery events (consumer/delivery-events.ts, the one place
 * its messages change hands) also reported to PostboxMetrics: claims and
 * their latency, deliveries (a second or later attempt is a redelivery),
 * handler run time, enqueue-to-done latency, acks, retries, dead letters.
 */
export class MeteredDeliveryEvents extends DeliveryEvents {
  /** Handler start (performance.now()) per receipt being handled: a bodySchema hands `handled` a checked copy. */
  private readonly started = new Map<string, number>();

  constructor(
    private readonly queue: string,
    private readonly metrics: PostboxMetrics,
  ) {
    super();
  }

  override claimed(count: number, startedAt?: number): void {
    super.claimed(count, startedAt);
    if (startedAt !== undefined) this.metrics.claimLatency?.(this.queue, Math.max(0, Date.now() - startedAt) / 1000);
    if (count > 0) this.metrics.delivered?.(this.queue, count);
  }

  override delivered(message: ReceivedMessage): void {
    super.delivered(message);
    // The claim counted this delivery in `attempts`: more than one means delivered before.
    if (message.attempts > 1) this.metrics.redelivered?.(this.queue, 1);
    this.started.set(message.receipt, performance.now());
  }

  override handled(message: ReceivedMessage, error?: unknown): void {
    super.handled(message, error);
    const started = this.started.get(message.receipt);
    this.started.delete(message.receipt);
    if (started !== undefined) {
      const outcome = error === undefined ? 'success' : 'failure';
      this.metrics.handlerDuration?.(this.queue, (performance.now() - started) / 1000, outcome);
    }
    if (error === undefined) {
      this.metrics.endToEndLatency?.(this.queue, Math.max(0, Date.now() - message.enqueuedAt.getTime()) / 1000);
    }
  }

  override acked(count: number): void {
    super.acked(count);
    if (count > 0) this.metrics.acked?.(this.queue, count);
  }

  override nacked(retried: number, deadLettered: number): void {
    super.nacked(retried, deadLettered);
    if (retried > 0) this.metrics.retried?.(this.queue, retried);
    if (deadLettered > 0) this.metrics.deadLettered?.(this.queue, deadLettered);
  }
}
