import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsOptional, Matches, Max, Min, ValidateNested } from 'class-validator';
import { QUEUE_LIMITS } from 'postbox';
import { QUEUE_NAME_MESSAGE, QUEUE_NAME_PATTERN } from './queue-name';

// The core's bounds (queue-settings.ts), declared again only so a 400 names the field before the core is called.
const { maxAttempts, visibilityTimeoutMs, retentionMs, backoffMs, dedupWindowMs } = QUEUE_LIMITS;

export class BackoffDto {
  @ApiProperty({
    type: 'integer',
    description: 'Delay before the first retry; doubles each attempt (with jitter)',
    example: 1000,
    minimum: backoffMs.min,
    maximum: backoffMs.max,
  })
  @IsInt()
  @Min(backoffMs.min)
  @Max(backoffMs.max)
  initialMs!: number;

  @ApiProperty({
    type: 'integer',
    description: 'Ceiling for the doubled delay',
    example: 300000,
    minimum: backoffMs.min,
    maximum: backoffMs.max,
  })
  @IsInt()
  @Min(backoffMs.min)
  @Max(backoffMs.max)
  maxMs!: number;
}

export class CreateQueueDto {
  @ApiProperty({ pattern: QUEUE_NAME_PATTERN.source, example: 'orders' })
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('name') })
  name!: string;

  @ApiPropertyOptional({
    type: 'integer',
    default: 5,
    minimum: maxAttempts.min,
    maximum: maxAttempts.max,
    description: 'Deliveries before dead-lettering',
  })
  @IsOptional()
  @IsInt()
  @Min(maxAttempts.min)
  @Max(maxAttempts.max)
  maxAttempts?: number;

  @ApiPropertyOptional({
    type: 'integer',
    default: 30000,
    minimum: visibilityTimeoutMs.min,
    maximum: visibilityTimeoutMs.max,
  })
  @IsOptional()
  @IsInt()
  @Min(visibilityTimeoutMs.min)
  @Max(visibilityTimeoutMs.max)
  visibilityTimeoutMs?: number;

  @ApiPropertyOptional({ description: 'Existing queue that receives this queue’s dead letters' })
  @IsOptional()
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('deadLetterQueue') })
  deadLetterQueue?: string;

  @ApiPropertyOptional({ default: false, description: 'At most one in-flight message per groupKey, in send order' })
  @IsOptional()
  @IsBoolean()
  fifo?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: retentionMs.min,
    maximum: retentionMs.max,
    description: 'How long acked messages are kept for replay (at most 100 years)',
  })
  @IsOptional()
  @IsInt()
  @Min(retentionMs.min)
  @Max(retentionMs.max)
  retentionMs?: number;

  @ApiPropertyOptional({ type: BackoffDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => BackoffDto)
  backoff?: BackoffDto;

  @ApiPropertyOptional({
    type: 'integer',
    default: 300000,
    minimum: dedupWindowMs.min,
    maximum: dedupWindowMs.max,
    description: 'How long a dedupKey is remembered',
  })
  @IsOptional()
  @IsInt()
  @Min(dedupWindowMs.min)
  @Max(dedupWindowMs.max)
  dedupWindowMs?: number;
}
