import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { bodyParserErrors } from './errors/body-parser-errors';
import type { Postbox } from './postbox.provider';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './server-options';
import { ServiceMetrics } from './service/service-metrics';

/**
 * Builds the REST service over a Postbox the caller owns (and closes after
 * app.close()). The app is initialised but not listening: call
 * `app.listen(port, host)`.
 */
export async function createApp(
  postbox: Postbox,
  overrides: Partial<ServerOptions> = {},
): Promise<NestExpressApplication> {
  const options: ServerOptions = { ...DEFAULT_SERVER_OPTIONS, ...overrides };
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(postbox, options), {
    bodyParser: false,
    bufferLogs: true,
    // On close, idle keep-alive sockets are cut; waiting long polls are
    // answered first (LongPolls), so no request is dropped mid-answer.
    forceCloseConnections: true,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();
  // No enableShutdownHooks(): main.ts handles the signals, because it must also stop Postgres after the app.
  app.use(app.get(ServiceMetrics).middleware);
  app.useBodyParser('json', { limit: options.bodyLimit });
  app.use(bodyParserErrors(options.bodyLimit));

  const document = new DocumentBuilder()
    .setTitle('Postbox')
    .setDescription('PostgreSQL transactional outbox and message queue: REST API v1')
    .setVersion('1')
    .addBearerAuth()
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'x-api-key')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, document));

  await app.init();
  return app;
}
