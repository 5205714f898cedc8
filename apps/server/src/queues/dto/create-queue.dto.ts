import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsOptional, Matches, Max, Min, ValidateNested } from 'class-validator';
import { QUEUE_NAME_MESSAGE, QUEUE_NAME_PATTERN } from './queue-name';

const MAX_VISIBILITY_MS = 43_200_000; // 12 h, as SQS
const MAX_BACKOFF_MS = 86_400_000;

export class BackoffDto {
  @ApiProperty({
    type: 'integer',
    description: 'Delay before the first retry; doubles each attempt (with jitter)',
    example: 1000,
  })
  @IsInt()
  @Min(0)
  @Max(MAX_BACKOFF_MS)
  initialMs!: number;

  @ApiProperty({ type: 'integer', description: 'Ceiling for the doubled delay', example: 300000 })
  @IsInt()
  @Min(0)
  @Max(MAX_BACKOFF_MS)
  maxMs!: number;
}

export class CreateQueueDto {
  @ApiProperty({ pattern: QUEUE_NAME_PATTERN.source, example: 'orders' })
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('name') })
  name!: string;

  @ApiPropertyOptional({
    type: 'integer',
    default: 5,
    minimum: 1,
    maximum: 1000,
    description: 'Deliveries before dead-lettering',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxAttempts?: number;

  @ApiPropertyOptional({ type: 'integer', default: 30000, minimum: 1, maximum: MAX_VISIBILITY_MS })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_VISIBILITY_MS)
  visibilityTimeoutMs?: number;

  @ApiPropertyOptional({ description: 'Existing queue that receives this queue’s dead letters' })
  @IsOptional()
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('deadLetterQueue') })
  deadLetterQueue?: string;

  @ApiPropertyOptional({ default: false, description: 'At most one in-flight message per groupKey, in send order' })
  @IsOptional()
  @IsBoolean()
  fifo?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'How long acked messages are kept for replay' })
  @IsOptional()
  @IsInt()
  @Min(1)
  retentionMs?: number;

  @ApiPropertyOptional({ type: BackoffDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => BackoffDto)
  backoff?: BackoffDto;

  @ApiPropertyOptional({
    default: 300000,
    minimum: 1,
    maximum: 604800000,
    description: 'How long a dedupKey is remembered',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(604_800_000)
  dedupWindowMs?: number;
}
