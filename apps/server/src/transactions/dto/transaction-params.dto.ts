import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';

/** The `:id` path parameter. Anything that is not a known transaction id answers 404. */
export class TransactionParams {
  @ApiProperty({ format: 'uuid' })
  @IsString()
  id!: string;
}
