import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUrl, Length, Matches, Max, Min } from 'class-validator';
import { DEFAULT_CHECK_AFTER_MS, DEFAULT_MAX_CHECKS } from 'postbox';
import { SendMessageDto } from '../../messages/dto/send-message.dto';
import { QUEUE_NAME_MESSAGE, QUEUE_NAME_PATTERN } from '../../queues/dto/queue-name';

/**
 * POST /v1/transactions: a message (as for a queue) plus where it goes and
 * how the producer is checked back. Exactly one of queue / topic. The
 * inherited `dedupKey` is the transaction's: a retried prepare with the same
 * key returns the same transactionId.
 */
export class PrepareTransactionDto extends SendMessageDto {
  @ApiPropertyOptional({ pattern: QUEUE_NAME_PATTERN.source, description: 'Target queue (or give topic)' })
  @IsOptional()
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('queue') })
  queue?: string;

  @ApiPropertyOptional({ pattern: QUEUE_NAME_PATTERN.source, description: 'Target topic (or give queue)' })
  @IsOptional()
  @Matches(QUEUE_NAME_PATTERN, { message: QUEUE_NAME_MESSAGE('topic') })
  topic?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 256, description: 'Topic targets: the tag subscriptions match' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  tag?: string;

  @ApiPropertyOptional({
    format: 'uri',
    description: 'POSTed {transactionId, queue|topic, headers} when still prepared after checkAfterMs',
  })
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'checkbackUrl must be an absolute http(s) URL' },
  )
  @Length(1, 2048)
  checkbackUrl?: string;

  @ApiPropertyOptional({ default: DEFAULT_CHECK_AFTER_MS, minimum: 0, maximum: 86_400_000 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400_000)
  checkAfterMs?: number;

  @ApiPropertyOptional({ default: DEFAULT_MAX_CHECKS, minimum: 1, maximum: 1000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxChecks?: number;
}
