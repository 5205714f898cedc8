import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { QUEUE_NAME_MESSAGE, QUEUE_NAME_PATTERN } from '../../queues/dto/queue-name';

/** The `:topic` path parameter. Topic and group names follow the queue-name pattern. */
export class TopicParams {
  @ApiProperty({ pattern: QUEUE_NAME_PATTERN.source, example: 'orders' })
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('topic') })
  topic!: string;
}

/** `:topic` and `:group`. */
export class SubscriptionParams extends TopicParams {
  @ApiProperty({ pattern: QUEUE_NAME_PATTERN.source, example: 'billing' })
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('group') })
  group!: string;
}
