import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Length, Matches } from 'class-validator';
import { CreateQueueDto } from '../../queues/dto/create-queue.dto';
import { QUEUE_NAME_MESSAGE, QUEUE_NAME_PATTERN } from '../../queues/dto/queue-name';

/** A consumer group: its name, its tag filter, and the settings of the queue that backs it. */
export class SubscribeDto extends OmitType(CreateQueueDto, ['name'] as const) {
  @ApiProperty({ pattern: QUEUE_NAME_PATTERN.source, example: 'billing' })
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('group') })
  group!: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['paid', 'refunded'],
    description: 'Only messages published with one of these tags (exact match); "*" or none: every message',
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 256, { each: true })
  tags?: string[];

  @ApiPropertyOptional({ description: 'The group’s queue; default `<topic>.<group>`', example: 'orders.billing' })
  @IsOptional()
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('queue') })
  queue?: string;
}
