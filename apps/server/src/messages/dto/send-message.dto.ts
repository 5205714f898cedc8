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
import { MAX_BATCH, MAX_DELAY_MS } from 'postbox';
import { AreObjects, IsPresent, IsStringRecord } from '../../validation/validators';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

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
    minimum: 0,
    maximum: MAX_DELAY_MS,
    description: 'Invisible for this long after the send',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_DELAY_MS)
  delayMs?: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'Invisible until this time; not with delayMs' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @NotWithDelayMs()
  availableAt?: string;

  @ApiPropertyOptional({
    type: 'integer',
    default: 0,
    minimum: INT32_MIN,
    maximum: INT32_MAX,
    description: 'Lower is delivered first',
  })
  @IsOptional()
  @IsInt()
  @Min(INT32_MIN)
  @Max(INT32_MAX)
  priority?: number;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: 256,
    description: 'A second send with this key returns the first id',
  })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  dedupKey?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 256, description: 'FIFO queues: ordering group' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
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
