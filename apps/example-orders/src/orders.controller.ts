import { Body, Controller, Get, HttpCode, Logger, NotFoundException, Param, ParseIntPipe, Post } from '@nestjs/common';
import { PostboxClient } from '@postbox/nestjs';
import { OrdersDatabaseConnection } from './orders-database';
import { formatCents, ORDER_PLACED, type OrderPlaced } from './orders-queues';
import { PlaceOrderDto } from './place-order.dto';

@Controller('orders')
export class OrdersController {
  private readonly logger = new Logger('Orders');

  constructor(
    private readonly database: OrdersDatabaseConnection,
    private readonly postbox: PostboxClient,
  ) {}

  /**
   * The transactional outbox: the order row and its order.placed message
   * commit together. If the insert or the send fails, neither exists; once
   * this returns, payment will happen even if the process dies right now.
   */
  @Post()
  @HttpCode(201)
  async place(@Body() dto: PlaceOrderDto): Promise<{ orderId: string; messageId: string }> {
    const { orderId, messageId } = await this.database.db.transaction().execute(async (trx) => {
      const order = await trx
        .insertInto('orders')
        .values({ customer: dto.customer, amount_cents: dto.amountCents })
        .returning('id')
        .executeTakeFirstOrThrow();
      const event: OrderPlaced = { orderId: order.id, customer: dto.customer, amountCents: dto.amountCents };
      const sent = await this.postbox.send(ORDER_PLACED, { body: event }, { trx });
      return { orderId: order.id, messageId: sent.id };
    });
    this.logger.log(
      `order ${orderId} placed by ${dto.customer} for ${formatCents(dto.amountCents)} (message ${messageId} → ${ORDER_PLACED})`,
    );
    return { orderId, messageId };
  }

  @Get(':id')
  async get(@Param('id', ParseIntPipe) id: number) {
    const order = await this.database.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', String(id))
      .executeTakeFirst();
    if (!order) throw new NotFoundException(`order ${id} does not exist`);
    const [payments, shipments] = await Promise.all([
      this.database.db.selectFrom('payments').selectAll().where('order_id', '=', order.id).execute(),
      this.database.db.selectFrom('shipments').selectAll().where('order_id', '=', order.id).execute(),
    ]);
    return { ...order, payments, shipments };
  }

  /** Orders per status, and what is still queued: enough to watch the workflow drain. */
  @Get()
  async summary() {
    const statuses = await this.database.db
      .selectFrom('orders')
      .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
      .groupBy('status')
      .execute();
    const queues = await this.postbox.listQueues();
    return {
      orders: Object.fromEntries(statuses.map((s) => [s.status, Number(s.count)])),
      queues: queues.map((q) => ({
        name: q.name,
        ready: q.ready,
        delayed: q.delayed,
        inFlight: q.inFlight,
        dead: q.dead,
      })),
    };
  }
}
