import { Module } from '@nestjs/common';
import { LongPolls } from './long-polls';
import { MessagesController } from './messages.controller';
import { TailController } from './tail.controller';

@Module({ controllers: [MessagesController, TailController], providers: [LongPolls] })
export class MessagesModule {}
