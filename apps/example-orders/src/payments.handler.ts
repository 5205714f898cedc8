import { Inject, Injectable, Logger } from '@nestjs/common';
import { type HandlerContext, PostboxClient, QueueHandler, type ReceivedMessage } from '@postbox/nestjs';
import { ORDERS_CONFIG, type OrdersConfig } from './orders-config';
import { handlerTransaction } from './orders-database';
import {
  formatCents,
  ORDER_PLACED,
  type OrderPlaced,
  PAYMENT_ATTEMPTS,
  PAYMENT_CAPTURED,
  type PaymentCaptured,
} from './orders-queues';

export class PaymentDeclinedError extends Error {
  override name = 'PaymentDeclinedError';
}

/**
 * Charges placed orders. Exactly-once: the payment row, the order's status
 * and the payment.captured message are written in the transaction that also
 * records the message in Postbox's inbox and acks it, so a redelivery (after
 * a crash, an expired lease) never charges twice.
 */
@Injectable()
export class PaymentsHandler {
  private readonly logger = new Logger('Payments');

  constructor(
    private readonly postbox: PostboxClient,
    @Inject(ORDERS_CONFIG) private readonly config: OrdersConfig,
  ) {}

  @QueueHandler(ORDER_PLACED, { exactlyOnce: { consumer: 'payments' }, concurrency: 4 })
  async capture(message: ReceivedMessage, context: HandlerContext): Promise<void> {
    const order = message.body as OrderPlaced;
    const trx = handlerTransaction(context);
    // The payment gateway's round trip (simulated).
    await new Promise((resolve) => setTimeout(resolve, this.config.paymentLatencyMs));
    if (order.amountCents > this.config.paymentLimitCents) {
      const retry = message.attempts < PAYMENT_ATTEMPTS ? 'will retry' : 'giving up';
      this.logger.warn(
        `order ${order.orderId}: card declined, attempt ${message.attempts} of ${PAYMENT_ATTEMPTS} (${retry})`,
      );
      throw new PaymentDeclinedError(
        `card declined: ${formatCents(order.amountCents)} is over the ${formatCents(this.config.paymentLimitCents)} limit`,
      );
    }
    const payment = await trx
      .insertInto('payments')
      .values({ order_id: order.orderId, amount_cents: order.amountCents })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('orders')
      .set({ status: 'paid', updated_at: new Date() })
      .where('id', '=', order.orderId)
      .execute();
    const captured: PaymentCaptured = { orderId: order.orderId, paymentId: payment.id, amountCents: order.amountCents };
    await this.postbox.send(PAYMENT_CAPTURED, { body: captured }, { trx });
    this.logger.log(`order ${order.orderId}: payment ${payment.id} captured (${formatCents(order.amountCents)})`);
  }
}
