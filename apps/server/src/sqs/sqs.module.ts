import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { SqsController } from './sqs.controller';
import { ApiKeyCredentials, SQS_CREDENTIALS } from './sqs-credentials';
import { SqsLongPolls } from './sqs-long-polls';
import { loadSqsOptions, SQS_OPTIONS } from './sqs-options';
import { SqsRawBodyMiddleware } from './sqs-raw-body.middleware';

/**
 * The SQS-compatible endpoint (API.md "SQS-compatible endpoint"). Keep it
 * last in AppModule's imports: its POST /:account/:queue route must not
 * shadow the API's own two-segment POST routes.
 */
@Module({
  controllers: [SqsController],
  providers: [
    SqsLongPolls,
    { provide: SQS_OPTIONS, useFactory: () => loadSqsOptions() },
    { provide: SQS_CREDENTIALS, useClass: ApiKeyCredentials },
  ],
})
export class SqsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(SqsRawBodyMiddleware)
      .forRoutes({ path: '/', method: RequestMethod.POST }, { path: ':account/:queue', method: RequestMethod.POST });
  }
}
