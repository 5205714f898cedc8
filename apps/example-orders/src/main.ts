import 'reflect-metadata';
import { type INestApplication, Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pg from 'pg';
import { AppModule } from './app.module';
import { type OrdersConfig, ordersConfigFromEnv } from './orders-config';
import { runOrdersMigrations } from './run-orders-migrations';
import { type ExampleDatabase, startExampleDatabase } from './start-database';

/**
 * The order workflow: POST /orders → order.placed → payments (exactly-once)
 * → payment.captured → shipping (exactly-once); declined payments retry with
 * backoff, then dead-letter to order.placed.dead.
 *
 *   npm run example:orders            (embedded PostgreSQL, port 3100, places demo orders)
 *   DATABASE_URL=postgres://… PORT=3200 node dist/apps/example-orders/src/main.js
 */
async function main(): Promise<void> {
  const logger = new Logger('Example');
  const database = await startExampleDatabase();
  logger.log(`database: ${database.description}`);
  const config = ordersConfigFromEnv(database.url);
  try {
    await startApp(config, database, logger);
  } catch (error) {
    logger.error(`could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await database.stop();
    process.exit(1);
  }
  const url = `http://127.0.0.1:${config.port}`;
  logger.log(`listening on ${url}`);
  logger.log(
    `place an order: curl -s -X POST ${url}/orders -H 'content-type: application/json' -d '{"customer":"ada","amountCents":2500}'`,
  );
  if (process.argv.includes('--demo')) await placeDemoOrders(url, logger);
}

async function startApp(config: OrdersConfig, database: ExampleDatabase, logger: Logger): Promise<INestApplication> {
  const migrationPool = new pg.Pool({ connectionString: config.databaseUrl, max: 1 });
  try {
    const files = await runOrdersMigrations(migrationPool);
    logger.log(`app tables ready (${files.join(', ')})`);
  } finally {
    await migrationPool.end();
  }

  // abortOnError: false, so a failed start reaches main() and the embedded server is stopped.
  const app = await NestFactory.create(AppModule.forConfig(config), {
    logger: ['log', 'warn', 'error'],
    abortOnError: false,
  });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
  if (database.embedded) {
    // app.close() runs the same shutdown hooks as enableShutdownHooks (Postbox
    // drains its handlers first); only then can the embedded server stop.
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.log(`${signal}: shutting down`);
      await app.close();
      await database.stop();
      logger.log('stopped');
      process.exit(0);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
  } else {
    // SIGTERM / SIGINT run Nest's shutdown hooks: Postbox drains its handlers, then closes.
    app.enableShutdownHooks();
  }
  try {
    await app.listen(config.port, '127.0.0.1');
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

/** Two orders that go through and one over the payment limit (declined, retried, dead-lettered). */
async function placeDemoOrders(url: string, logger: Logger): Promise<void> {
  const orders = [
    { customer: 'ada', amountCents: 2_500 },
    { customer: 'grace', amountCents: 12_000 },
    { customer: 'linus', amountCents: 250_000 },
  ];
  for (const order of orders) {
    const response = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(order),
    });
    if (response.status !== 201) logger.error(`demo order failed: ${response.status} ${await response.text()}`);
  }
  logger.log(`demo: placed ${orders.length} orders; watch them below, then GET ${url}/orders`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
