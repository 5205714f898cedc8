import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { QUEUE_LIMITS } from 'postbox';

export const MAX_WAIT_MS = 30_000;
const MAX_VISIBILITY_MS = QUEUE_LIMITS.visibilityTimeoutMs.max;

export class ReceiveDto {
  @ApiPropertyOptional({ type: 'integer', default: 1, minimum: 1, maximum: 1000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  max?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_VISIBILITY_MS,
    description: "Lease length; default the queue's",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_VISIBILITY_MS)
  visibilityTimeoutMs?: number;

  @ApiPropertyOptional({ type: 'integer', default: 0, minimum: 0, maximum: MAX_WAIT_MS, description: 'Long poll' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_WAIT_MS)
  waitMs?: number;
}

export class ReceivedMessageView {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'Valid for this delivery only; ack/nack/extend take it' }) receipt!: string;
  @ApiProperty({ description: 'Any JSON value' }) body!: unknown;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) headers!: Record<string, string>;
  @ApiProperty({ description: 'Deliveries so far, this one included' }) attempts!: number;
  @ApiProperty({ format: 'date-time' }) enqueuedAt!: string;
  @ApiPropertyOptional() groupKey?: string;
  @ApiProperty() priority!: number;
  @ApiProperty({ format: 'date-time', description: 'When this lease ends unless extended' }) leaseExpiresAt!: string;
}

export class ReceiveResultView {
  @ApiProperty({ type: [ReceivedMessageView] }) messages!: ReceivedMessageView[];
}
