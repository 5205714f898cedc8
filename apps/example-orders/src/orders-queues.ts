import type { QueueDeclaration } from '@postbox/nestjs';

/** An order was placed: the payments handler charges it. */
export const ORDER_PLACED = 'order.placed';
/** A payment was captured: the shipping handler ships the order. */
export const PAYMENT_CAPTURED = 'payment.captured';
/** order.placed messages whose payment failed on every attempt (the dead-letter queue). */
export const PAYMENT_FAILED = 'order.placed.dead';

/** Payment attempts before an order.placed message is dead-lettered. */
export const PAYMENT_ATTEMPTS = 3;

export interface OrderPlaced {
  orderId: string;
  customer: string;
  amountCents: number;
}

export interface PaymentCaptured {
  orderId: string;
  paymentId: string;
  amountCents: number;
}

/** The queues the app declares at start (created when missing). The dead-letter queue comes first: order.placed names it. */
export function orderQueues(leaseMs: number): QueueDeclaration[] {
  return [
    { name: PAYMENT_FAILED, visibilityTimeoutMs: leaseMs },
    {
      name: ORDER_PLACED,
      visibilityTimeoutMs: leaseMs,
      maxAttempts: PAYMENT_ATTEMPTS,
      // 0.5 s, then 1 s (with jitter): a declined card is retried twice, then dead-lettered.
      backoff: { initialMs: 500, maxMs: 2_000 },
      deadLetterQueue: PAYMENT_FAILED,
    },
    { name: PAYMENT_CAPTURED, visibilityTimeoutMs: leaseMs },
  ];
}

export function formatCents(cents: number): string {
  return (cents / 100).toFixed(2);
}
