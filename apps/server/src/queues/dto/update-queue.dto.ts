import { ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { QUEUE_LIMITS } from 'postbox';
import { CreateQueueDto } from './create-queue.dto';

const { backoffMs } = QUEUE_LIMITS;

/** PATCH's backoff: either bound alone; the core checks maxMs >= initialMs against the stored other one. */
export class PartialBackoffDto {
  @ApiPropertyOptional({ type: 'integer', minimum: backoffMs.min, maximum: backoffMs.max })
  @IsOptional()
  @IsInt()
  @Min(backoffMs.min)
  @Max(backoffMs.max)
  initialMs?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: backoffMs.min, maximum: backoffMs.max })
  @IsOptional()
  @IsInt()
  @Min(backoffMs.min)
  @Max(backoffMs.max)
  maxMs?: number;
}

/**
 * PATCH /v1/queues/:queue: any subset of the queue settings. `null` clears
 * deadLetterQueue, retentionMs, messageTtlMs or maxLength; for the others
 * the core answers 400 naming the field.
 */
export class UpdateQueueDto extends PartialType(OmitType(CreateQueueDto, ['name', 'backoff'] as const)) {
  @ApiPropertyOptional({ type: PartialBackoffDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => PartialBackoffDto)
  backoff?: PartialBackoffDto;
}
