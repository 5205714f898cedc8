import { Injectable, Module } from '@nestjs/common';
import {
  type HandlerContext,
  PostboxClient,
  PostboxModule,
  QueueHandler,
  type ReceivedMessage,
} from '../../libs/nestjs/src';

// A handler: started when the app boots, drained when it shuts down.
// Returning acks the message; throwing retries it with backoff, then dead-letters it.
@Injectable()
export class WelcomeEmails {
  @QueueHandler('welcome-emails', { concurrency: 5, exactlyOnce: true })
  async send(message: ReceivedMessage, { trx }: HandlerContext) {
    const { userId } = message.body as { userId: string };
    // exactlyOnce: trx is the transaction holding this message's inbox row and
    // its ack; what you write with it happens once, even if the message is redelivered.
    await trx?.insertInto('sent_emails').values({ user_id: userId }).execute();
  }
}

// Sending inside your own transaction (the outbox): the user row and the
// message commit together, or neither exists.
@Injectable()
export class SignupService {
  constructor(private readonly postbox: PostboxClient) {}

  signUp(email: string): Promise<string> {
    return this.postbox.transaction(async (trx) => {
      const user = await trx.insertInto('users').values({ email }).returning('id').executeTakeFirstOrThrow();
      await this.postbox.send('welcome-emails', { body: { userId: user.id } }, { trx });
      return user.id;
    });
  }
}

@Module({
  imports: [
    PostboxModule.forRoot({
      connectionString: process.env.DATABASE_URL,
      migrate: true, // applies Postbox's own migrations (schema "postbox") at start
      queues: [{ name: 'welcome-emails', maxAttempts: 5 }],
    }),
  ],
  providers: [WelcomeEmails, SignupService],
})
export class AppModule {}
