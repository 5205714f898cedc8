import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, Matches, Max, Min, ValidateNested } from 'class-validator';
import { EXPIRED_TO, type ExpiredTo, OVERFLOW, type Overflow, QUEUE_LIMITS } from 'postbox';
import { QUEUE_NAME_MESSAGE, QUEUE_NAME_PATTERN } from './queue-name';

// The core's bounds (queue-settings.ts), declared again only so a 400 names the field before the core is called.
const {
  maxAttempts,
  visibilityTimeoutMs,
  retentionMs,
  backoffMs,
  dedupWindowMs,
  messageTtlMs,
  maxLength,
  maxMessageBytes,
} = QUEUE_LIMITS;

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

  @ApiPropertyOptional({
    type: 'integer',
    minimum: messageTtlMs.min,
    maximum: messageTtlMs.max,
    description: 'A message not delivered within this expires (see expiredTo); per message: expiresAt',
  })
  @IsOptional()
  @IsInt()
  @Min(messageTtlMs.min)
  @Max(messageTtlMs.max)
  messageTtlMs?: number;

  @ApiPropertyOptional({
    enum: EXPIRED_TO,
    default: 'deadLetter',
    description: "Expired messages: dead letters (reason 'expired') or dropped",
  })
  @IsOptional()
  @IsIn(EXPIRED_TO)
  expiredTo?: ExpiredTo;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: maxLength.min,
    maximum: maxLength.max,
    description: 'At most this many messages (ready, delayed, in flight); see overflow',
  })
  @IsOptional()
  @IsInt()
  @Min(maxLength.min)
  @Max(maxLength.max)
  maxLength?: number;

  @ApiPropertyOptional({
    enum: OVERFLOW,
    default: 'reject',
    description: 'At maxLength: 429, or dead-letter the oldest ready',
  })
  @IsOptional()
  @IsIn(OVERFLOW)
  overflow?: Overflow;

  @ApiPropertyOptional({
    type: 'integer',
    default: 1048576,
    minimum: maxMessageBytes.min,
    maximum: maxMessageBytes.max,
    description: 'Largest body plus headers as JSON text, in bytes (413 above it)',
  })
  @IsOptional()
  @IsInt()
  @Min(maxMessageBytes.min)
  @Max(maxMessageBytes.max)
  maxMessageBytes?: number;
}
