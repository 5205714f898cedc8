import { Injectable, Logger } from '@nestjs/common';
import { type HandlerContext, QueueHandler, type ReceivedMessage } from '@postbox/nestjs';
import { handlerTransaction } from './orders-database';
import { type OrderPlaced, PAYMENT_FAILED } from './orders-queues';

/**
 * order.placed messages land in the dead-letter queue after their last failed
 * payment attempt, with the last error in a header; this marks their orders
 * failed so nobody waits for them.
 */
@Injectable()
export class PaymentFailuresHandler {
  private readonly logger = new Logger('PaymentFailures');

  @QueueHandler(PAYMENT_FAILED, { exactlyOnce: { consumer: 'payment-failures' }, concurrency: 2 })
  async markFailed(message: ReceivedMessage, context: HandlerContext): Promise<void> {
    const { orderId } = message.body as OrderPlaced;
    const lastError = message.headers['x-postbox-last-error'] ?? 'unknown error';
    const reason = lastError.split('\n')[0] ?? lastError;
    await handlerTransaction(context)
      .updateTable('orders')
      .set({ status: 'payment_failed', failure_reason: reason, updated_at: new Date() })
      .where('id', '=', orderId)
      .execute();
    const attempts = message.headers['x-postbox-attempts'];
    this.logger.warn(`order ${orderId}: payment failed after ${attempts} attempts, dead-lettered: ${reason}`);
  }
}
