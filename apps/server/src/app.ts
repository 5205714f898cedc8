import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { AppModule } from './app.module';
import type { HttpRequest, HttpResponse, NextFunction } from './http-types';
import { completeDocument } from './openapi/complete-document';
import type { Postbox } from './postbox.provider';
import { DEFAULT_SERVER_OPTIONS, type ServerOptions } from './server-options';
import { PinoNestLogger } from './service/pino-nest-logger';
import { ServiceMetrics } from './service/service-metrics';
import { isSqsRequest } from './sqs/sqs-raw-body.middleware';
import { jsonBodyParser, MAX_JSON_DEPTH } from './validation/json-body-parser';

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
  const logger = pino({ level: options.logLevel, base: { service: 'postbox' } });
  app.useLogger(new PinoNestLogger(logger));
  app.flushLogs();
  // A line per request only where it is wanted (debug/trace): on a queue's
  // hot path it is noise, and its per-request serialization cost throughput.
  if (logger.isLevelEnabled('debug')) {
    app.use(
      pinoHttp({
        logger,
        // Never write credentials into logs.
        redact: ['req.headers.authorization', 'req.headers["x-api-key"]'],
        customLogLevel: (_req, res, error) =>
          error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
      }),
    );
  }
  // No enableShutdownHooks(): main.ts handles the signals, because it must also stop Postgres after the app.
  app.use(app.get(ServiceMetrics).middleware);
  // JSON only, strictly: see json-body-parser.ts (415 for other types, depth and NUL checks before parsing).
  // SQS requests (form or AWS JSON) are read raw by the SQS endpoint: their signature covers the bytes.
  const readJson = jsonBodyParser({ limit: options.bodyLimit, maxDepth: MAX_JSON_DEPTH });
  app.use((req: HttpRequest, res: HttpResponse, next: NextFunction) =>
    isSqsRequest(req) ? next() : readJson(req, res, next),
  );

  const document = new DocumentBuilder()
    .setTitle('Postbox')
    .setDescription('PostgreSQL transactional outbox and message queue: REST API v1')
    .setVersion('1')
    // A Postbox API key (POSTBOX_API_KEY, or one from POST /v1/keys), sent either way: not a JWT.
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'Postbox API key',
        description: 'Authorization: Bearer <Postbox API key>',
      },
      'bearer',
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'x-api-key: <Postbox API key>' },
      'x-api-key',
    )
    .build();
  SwaggerModule.setup('docs', app, () => completeDocument(SwaggerModule.createDocument(app, document), app));

  await app.init();
  return app;
}
