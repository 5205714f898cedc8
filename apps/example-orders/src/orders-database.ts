import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { HandlerContext } from '@postbox/nestjs';
import type { ColumnType, Generated, Transaction } from 'kysely';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { ORDERS_CONFIG, type OrdersConfig } from './orders-config';

export type OrderStatus = 'placed' | 'paid' | 'shipped' | 'payment_failed';

export interface OrdersDatabase {
  orders: {
    id: Generated<string>;
    customer: string;
    amount_cents: number;
    status: ColumnType<OrderStatus, OrderStatus | undefined, OrderStatus>;
    failure_reason: string | null;
    created_at: Generated<Date>;
    updated_at: ColumnType<Date, Date | undefined, Date>;
  };
  payments: { id: Generated<string>; order_id: string; amount_cents: number; captured_at: Generated<Date> };
  shipments: { id: Generated<string>; order_id: string; payment_id: string; created_at: Generated<Date> };
}

/**
 * The app's one pool and Kysely instance. Postbox is given both
 * (PostboxModule.forRootAsync in app.module.ts), so orders and their messages
 * share connections and transactions.
 */
@Injectable()
export class OrdersDatabaseConnection implements OnApplicationShutdown {
  readonly pool: pg.Pool;
  readonly db: Kysely<OrdersDatabase>;

  constructor(@Inject(ORDERS_CONFIG) config: OrdersConfig) {
    this.pool = new pg.Pool({ connectionString: config.databaseUrl, max: 10 });
    // An idle client losing its server must not crash the app; the next query reconnects.
    this.pool.on('error', () => {});
    this.db = new Kysely<OrdersDatabase>({ dialect: new PostgresDialect({ pool: this.pool }) });
  }

  /**
   * onApplicationShutdown, not onModuleDestroy: Postbox drains its handlers
   * in beforeApplicationShutdown, and they need this pool until then.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}

/** An exactly-once handler's transaction, typed with the app's tables. */
export function handlerTransaction(context: HandlerContext): Transaction<OrdersDatabase> {
  if (!context.trx) throw new Error('this handler must be declared with exactlyOnce');
  return context.trx as Transaction<OrdersDatabase>;
}
