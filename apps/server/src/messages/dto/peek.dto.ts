import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { MESSAGE_STATES, type MessageState } from 'postbox';

export class PeekQuery {
  @ApiPropertyOptional({ enum: MESSAGE_STATES, default: 'ready' })
  @IsOptional()
  @IsIn(MESSAGE_STATES)
  state?: MessageState;

  @ApiPropertyOptional({ type: 'integer', default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  // Digits only: Number() would also read "1e3", " 12 " or "0x10" as numbers.
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class PeekedMessageView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: MESSAGE_STATES }) state!: MessageState;
  @ApiProperty() body!: unknown;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) headers!: Record<string, string>;
  @ApiProperty() attempts!: number;
  @ApiProperty() priority!: number;
  @ApiProperty({ format: 'date-time' }) enqueuedAt!: string;
  @ApiProperty({
    format: 'date-time',
    description: 'ready/delayed: when visible; inFlight: when the lease ends; dead: when it died',
  })
  availableAt!: string;
  @ApiProperty({ type: String, nullable: true }) groupKey!: string | null;
  @ApiProperty({ type: String, nullable: true }) dedupKey!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastError!: string | null;
}

export class PeekResultView {
  @ApiProperty({ type: [PeekedMessageView] }) messages!: PeekedMessageView[];
}
