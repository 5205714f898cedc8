import { Injectable, Logger } from '@nestjs/common';
import { type HandlerContext, QueueHandler, type ReceivedMessage } from '@postbox/nestjs';
import { handlerTransaction } from './orders-database';
import { PAYMENT_CAPTURED, type PaymentCaptured } from './orders-queues';

/** Ships paid orders, exactly once per payment.captured message. */
@Injectable()
export class ShippingHandler {
  private readonly logger = new Logger('Shipping');

  @QueueHandler(PAYMENT_CAPTURED, { exactlyOnce: { consumer: 'shipping' }, concurrency: 4 })
  async ship(message: ReceivedMessage, context: HandlerContext): Promise<void> {
    const { orderId, paymentId } = message.body as PaymentCaptured;
    const trx = handlerTransaction(context);
    const shipment = await trx
      .insertInto('shipments')
      .values({ order_id: orderId, payment_id: paymentId })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('orders')
      .set({ status: 'shipped', updated_at: new Date() })
      .where('id', '=', orderId)
      .execute();
    this.logger.log(`order ${orderId}: shipment ${shipment.id} created, order shipped`);
  }
}
