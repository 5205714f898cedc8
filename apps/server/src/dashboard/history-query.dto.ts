import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { QUEUE_NAME_MESSAGE, QUEUE_NAME_PATTERN } from '../queues/dto/queue-name';

export class HistoryQuery {
  @ApiPropertyOptional({ description: 'One queue’s depth history; omitted: the totals of every queue the key sees' })
  @IsOptional()
  @IsString()
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('queue') })
  queue?: string;
}
