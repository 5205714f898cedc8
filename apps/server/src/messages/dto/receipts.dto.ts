import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { MAX_DELAY_MS, QUEUE_LIMITS } from 'postbox';
import { AreReceipts } from '../../validation/validators';

const MAX_RECEIPTS = 1000;
const MAX_VISIBILITY_MS = QUEUE_LIMITS.visibilityTimeoutMs.max;

export class AckDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: MAX_RECEIPTS, example: ['42.8172635'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RECEIPTS)
  @AreReceipts()
  receipts!: string[];
}

export class NackDto extends AckDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_DELAY_MS,
    description: "Retry after this long instead of the queue's backoff",
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_DELAY_MS)
  delayMs?: number;

  @ApiPropertyOptional({ description: 'Recorded as the last error (kept on the dead letter)' })
  @IsOptional()
  @IsString()
  error?: string;
}

export class ExtendDto extends AckDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    maximum: MAX_VISIBILITY_MS,
    description: 'The lease ends this long from now',
  })
  @IsInt()
  @Min(0)
  @Max(MAX_VISIBILITY_MS)
  visibilityTimeoutMs!: number;
}

export class AckResultView {
  @ApiProperty() acked!: number;
  @ApiProperty({ type: [String], description: 'Receipts that matched no current delivery' }) stale!: string[];
}

export class NackResultView {
  @ApiProperty() retried!: number;
  @ApiProperty() deadLettered!: number;
  @ApiProperty({ type: [String] }) stale!: string[];
}

export class ExtendResultView {
  @ApiProperty() extended!: number;
  @ApiProperty({ type: [String] }) stale!: string[];
}
