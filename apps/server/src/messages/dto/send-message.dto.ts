import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { MAX_BATCH, MESSAGE_LIMITS } from 'postbox';
import { AreObjects, IsPresent, IsStringRecord } from '../../validation/validators';

// The core's bounds (message.ts), declared again only so a 400 names the field before the core is called.
const { priority, delayMs, keyLength } = MESSAGE_LIMITS;

/** Keeps a property's JSON value as sent: class-transformer would otherwise copy it key by key. */
const AsSent = () => Transform(({ obj, key }) => (obj as Record<string, unknown>)[key]);

const NotWithDelayMs = () =>
  ValidateBy({
    name: 'notWithDelayMs',
    validator: {
      validate: (_value, args) => (args?.object as { delayMs?: unknown }).delayMs === undefined,
      defaultMessage: (args) => `${args?.property} cannot be combined with delayMs`,
    },
  });

/** One message as API.md gives it. */
export class SendMessageDto {
  @ApiProperty({
    description: 'Any JSON value',
    example: { orderId: 42 },
    nullable: true,
    oneOf: [
      { type: 'object' },
      { type: 'array', items: {} },
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
    ],
  })
  @IsPresent()
  @AsSent()
  body!: unknown;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { traceId: 'abc' } })
  @IsOptional()
  @IsStringRecord()
  @AsSent()
  headers?: Record<string, string>;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: delayMs.min,
    maximum: delayMs.max,
    description: 'Invisible for this long after the send',
  })
  @IsOptional()
  @IsInt()
  @Min(delayMs.min)
  @Max(delayMs.max)
  delayMs?: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'Invisible until this time; not with delayMs' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @NotWithDelayMs()
  availableAt?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      "Never delivered after this time (dead-lettered with reason 'expired', or dropped); overrides the queue's messageTtlMs",
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;

  @ApiPropertyOptional({
    type: 'integer',
    default: 0,
    minimum: priority.min,
    maximum: priority.max,
    description: 'Lower is delivered first',
  })
  @IsOptional()
  @IsInt()
  @Min(priority.min)
  @Max(priority.max)
  priority?: number;

  @ApiPropertyOptional({
    minLength: keyLength.min,
    maxLength: keyLength.max,
    description: 'A second send with this key returns the first id',
  })
  @IsOptional()
  @IsString()
  @Length(keyLength.min, keyLength.max)
  dedupKey?: string;

  @ApiPropertyOptional({
    minLength: keyLength.min,
    maxLength: keyLength.max,
    description: 'FIFO queues: ordering group',
  })
  @IsOptional()
  @IsString()
  @Length(keyLength.min, keyLength.max)
  groupKey?: string;
}

/** Up to 1000 messages, sent in one statement: all or nothing. */
export class SendBatchDto {
  @ApiProperty({ type: [SendMessageDto], minItems: 1, maxItems: MAX_BATCH })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH)
  @AreObjects('a message object')
  @ValidateNested({ each: true })
  @Type(() => SendMessageDto)
  messages!: SendMessageDto[];
}

export class SendResultView {
  @ApiProperty({ type: [String], description: 'One id per message, in input order' })
  ids!: string[];

  @ApiPropertyOptional({ type: [Number], description: 'Indexes whose dedupKey matched an earlier message' })
  duplicates?: number[];
}
