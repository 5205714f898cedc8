import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { MAX_RETENTION_MS } from 'postbox';
import { QUEUE_NAME_MESSAGE, QUEUE_NAME_PATTERN } from '../../queues/dto/queue-name';

export class CreateTopicDto {
  @ApiProperty({ pattern: QUEUE_NAME_PATTERN.source, example: 'orders' })
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('name') })
  name!: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_RETENTION_MS,
    description:
      'How long published messages are archived for replay (at most 100 years); without it nothing is archived',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RETENTION_MS)
  retentionMs?: number;
}
