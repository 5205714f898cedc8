import { type DynamicModule, Module } from '@nestjs/common';
import { DashboardModule } from './dashboard/dashboard.module';
import { KeysModule } from './keys/keys.module';
import { MessagesModule } from './messages/messages.module';
import type { Postbox } from './postbox.provider';
import { QueuesModule } from './queues/queues.module';
import { RelaysModule } from './relay/relays.module';
import { SchedulesModule } from './schedules/schedules.module';
import { ServerCoreModule } from './server-core.module';
import type { ServerOptions } from './server-options';
import { ServiceModule } from './service/service.module';
import { SqsModule } from './sqs/sqs.module';
import { TasksModule } from './tasks/tasks.module';
import { TopicsModule } from './topics/topics.module';
import { TransactionsModule } from './transactions/transactions.module';

/**
 * The REST service. Feature modules go in `imports`; each can inject the
 * Postbox with `@Inject(POSTBOX)` (postbox.provider.ts).
 */
@Module({
  // SqsModule last: its POST /:account/:queue route must not hide the API's own two-segment routes.
  imports: [
    QueuesModule,
    MessagesModule,
    ServiceModule,
    TopicsModule,
    TransactionsModule,
    KeysModule,
    RelaysModule,
    SchedulesModule,
    TasksModule,
    DashboardModule,
    SqsModule,
  ],
})
export class AppModule {
  static forRoot(postbox: Postbox, options: ServerOptions): DynamicModule {
    return { module: AppModule, imports: [ServerCoreModule.forRoot(postbox, options)] };
  }
}
