import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { EVERY_MS, MESSAGE_LIMITS, MISSED_POLICIES, type MissedPolicy } from 'postbox';
import { QUEUE_NAME_MESSAGE, QUEUE_NAME_PATTERN } from '../../queues/dto/queue-name';
import { IsPresent, IsStringRecord } from '../../validation/validators';

const { priority, delayMs, keyLength } = MESSAGE_LIMITS;
/** Keeps a property's JSON value as sent: class-transformer would otherwise copy it key by key. */
const AsSent = () => Transform(({ obj, key }) => (obj as Record<string, unknown>)[key]);

/** The message sent at each tick: a send's fields less dedupKey and availableAt. */
export class ScheduledMessageDto {
  @ApiProperty({ description: 'Any JSON value' })
  @IsPresent()
  @AsSent()
  body!: unknown;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsStringRecord()
  @AsSent()
  headers?: Record<string, string>;

  @ApiPropertyOptional({ type: 'integer', minimum: delayMs.min, maximum: delayMs.max })
  @IsOptional()
  @IsInt()
  @Min(delayMs.min)
  @Max(delayMs.max)
  delayMs?: number;

  @ApiPropertyOptional({ type: 'integer', default: 0 })
  @IsOptional()
  @IsInt()
  @Min(priority.min)
  @Max(priority.max)
  priority?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(keyLength.min, keyLength.max)
  groupKey?: string;
}

/** POST /v1/schedules: exactly one of queue/topic and one of cron/everyMs (the core says which is missing). */
export class CreateScheduleDto {
  @ApiProperty({ pattern: QUEUE_NAME_PATTERN.source, example: 'nightly-report' })
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('name') })
  name!: string;

  @ApiPropertyOptional({ pattern: QUEUE_NAME_PATTERN.source })
  @IsOptional()
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('queue') })
  queue?: string;

  @ApiPropertyOptional({ pattern: QUEUE_NAME_PATTERN.source })
  @IsOptional()
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('topic') })
  topic?: string;

  @ApiPropertyOptional({ example: '0 9 * * 1-5', description: 'Cron expression (5-7 fields, croner syntax)' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  cron?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: EVERY_MS.min, maximum: EVERY_MS.max })
  @IsOptional()
  @IsInt()
  @Min(EVERY_MS.min)
  @Max(EVERY_MS.max)
  everyMs?: number;

  @ApiPropertyOptional({ default: 'UTC', example: 'Europe/Berlin' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;

  @ApiProperty({ type: ScheduledMessageDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ScheduledMessageDto)
  message!: ScheduledMessageDto;

  @ApiPropertyOptional({ enum: MISSED_POLICIES, default: 'skip' })
  @IsOptional()
  @IsIn(MISSED_POLICIES)
  missed?: MissedPolicy;
}

export class ScheduleParams {
  @ApiProperty({ pattern: QUEUE_NAME_PATTERN.source })
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('name') })
  name!: string;
}
