import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { TRANSACTION_STATES, type TransactionState } from 'postbox';

export class ListTransactionsQuery {
  @ApiPropertyOptional({ enum: TRANSACTION_STATES })
  @IsOptional()
  @IsIn(TRANSACTION_STATES)
  state?: TransactionState;

  @ApiPropertyOptional({ type: 'integer', default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}
