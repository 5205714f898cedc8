import { Module } from '@nestjs/common';
import { LongPolls } from './long-polls';
import { MessagesController } from './messages.controller';

@Module({ controllers: [MessagesController], providers: [LongPolls] })
export class MessagesModule {}
