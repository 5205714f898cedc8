import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { MAX_BATCH } from 'postbox';
import { SendMessageDto } from '../../messages/dto/send-message.dto';

/** A message as for a queue (without dedupKey, which is per queue), plus a RocketMQ-style tag. */
export class PublishMessageDto extends OmitType(SendMessageDto, ['dedupKey'] as const) {
  @ApiPropertyOptional({ minLength: 1, maxLength: 256, example: 'paid', description: 'Matched by subscription tags' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  tag?: string;
}

/** Up to 1000 messages, published in one statement: all or nothing. */
export class PublishBatchDto {
  @ApiProperty({ type: [PublishMessageDto], minItems: 1, maxItems: MAX_BATCH })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH)
  @ValidateNested({ each: true })
  @Type(() => PublishMessageDto)
  messages!: PublishMessageDto[];
}

export class PublishResultView {
  @ApiProperty({ description: 'Topic message id (header x-postbox-topic-message-id on every copy)' })
  id!: string;

  @ApiProperty({ description: 'How many consumer groups got the message' })
  deliveredTo!: number;
}

export class PublishBatchResultView {
  @ApiProperty({ type: [PublishResultView], description: 'One per message, in input order' })
  results!: PublishResultView[];
}
