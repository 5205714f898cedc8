import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { PURGE_STATES, type PurgeState } from 'postbox';
import { IsPresent } from '../../validation/validators';
import { QUEUE_NAME_MESSAGE, QUEUE_NAME_PATTERN } from './queue-name';

/** POST /v1/queues/:queue/purge */
export class PurgeDto {
  @ApiProperty({ enum: PURGE_STATES, isArray: true, example: ['ready', 'delayed'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  @IsIn(PURGE_STATES, { each: true, message: `each value in states must be one of ${PURGE_STATES.join(', ')}` })
  // Last, so it runs first: the pipe answers a property's first "is…" constraint, and a missing
  // states (body {}) fails all five; "states is required" says why, "each value in states…" did not.
  @IsPresent()
  states!: PurgeState[];
}

export class PurgeResultView {
  @ApiProperty() purged!: number;
}

/** POST /v1/queues/:queue/move */
export class MoveDto {
  @ApiPropertyOptional({ pattern: QUEUE_NAME_PATTERN.source, description: 'Default: the queue each came from' })
  @IsOptional()
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('to') })
  to?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100_000, description: 'Messages a second at most' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  maxPerSecond?: number;
}

export class MoveResultView {
  @ApiProperty({ format: 'uuid' }) taskId!: string;
}

/** DELETE /v1/queues/:queue/messages/:id?force=true */
export class DeleteMessageQuery {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Also delete it while in flight' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'force must be true or false' })
  force?: 'true' | 'false';
}

export class MessageIdParams {
  @ApiProperty({ pattern: QUEUE_NAME_PATTERN.source })
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('queue') })
  queue!: string;

  @ApiProperty({ example: '42' })
  @Matches(/^\d{1,19}$/, { message: 'id must be a message id (digits, within bigint)' })
  id!: string;
}
