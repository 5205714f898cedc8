import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { QUEUE_NAME_MESSAGE, QUEUE_NAME_PATTERN } from './queue-name';

/** The `:queue` path parameter of every /v1/queues/:queue route. */
export class QueueParams {
  @ApiProperty({ pattern: QUEUE_NAME_PATTERN.source, example: 'orders' })
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('queue') })
  queue!: string;
}
