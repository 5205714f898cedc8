import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { MESSAGE_LIMITS } from 'postbox';

const { keyLength } = MESSAGE_LIMITS;

/** POST /v1/queues/:queue/cancel */
export class CancelDto {
  @ApiProperty({ minLength: keyLength.min, maxLength: keyLength.max, description: 'The dedupKey it was sent with' })
  @IsString()
  @Length(keyLength.min, keyLength.max)
  dedupKey!: string;
}

export class CancelResultView {
  @ApiProperty({ type: [String], description: 'Ids of the messages cancelled' })
  cancelled!: string[];
}
