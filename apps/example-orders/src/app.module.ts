import { type DynamicModule, Module } from '@nestjs/common';
import { PostboxModule } from '@postbox/nestjs';
import { OrdersController } from './orders.controller';
import { ORDERS_CONFIG, type OrdersConfig } from './orders-config';
import { OrdersDatabaseConnection } from './orders-database';
import { orderQueues } from './orders-queues';
import { PaymentFailuresHandler } from './payment-failures.handler';
import { PaymentsHandler } from './payments.handler';
import { ShippingHandler } from './shipping.handler';

@Module({})
class OrdersConfigModule {
  static register(config: OrdersConfig): DynamicModule {
    return {
      module: OrdersConfigModule,
      global: true,
      providers: [{ provide: ORDERS_CONFIG, useValue: config }],
      exports: [ORDERS_CONFIG],
    };
  }
}

@Module({ providers: [OrdersDatabaseConnection], exports: [OrdersDatabaseConnection] })
class OrdersDatabaseModule {}

@Module({})
export class AppModule {
  static forConfig(config: OrdersConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        OrdersConfigModule.register(config),
        OrdersDatabaseModule,
        // Postbox shares the app's pool and Kysely instance: an order and its
        // message go into one transaction on one connection.
        PostboxModule.forRootAsync({
          imports: [OrdersDatabaseModule],
          inject: [OrdersDatabaseConnection, ORDERS_CONFIG],
          useFactory: (database: OrdersDatabaseConnection, settings: OrdersConfig) => ({
            db: database.db,
            pool: database.pool,
            migrate: true,
            queues: orderQueues(settings.leaseMs),
            shutdownTimeoutMs: 10_000,
          }),
        }),
      ],
      controllers: [OrdersController],
      providers: [PaymentsHandler, ShippingHandler, PaymentFailuresHandler],
    };
  }
}
