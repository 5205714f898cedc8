import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiPropertyOptional, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { RequiresScope } from '../auth/requires-scope.decorator';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { QueueParams } from '../queues/dto/queue-params.dto';
import { PeekResultView } from './dto/peek.dto';

export class TailQuery {
  @ApiPropertyOptional({ description: 'A message id: only messages enqueued after it. Omitted: the newest `limit`.' })
  @IsOptional()
  @Matches(/^\d{1,19}$/, { message: 'after must be a message id' })
  after?: string;

  @ApiPropertyOptional({ type: 'integer', default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,7}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

/**
 * GET /v1/queues/:queue/tail: what `postbox tail --url` follows. Messages
 * enqueued after `after`, oldest first, in any live state, claiming nothing
 * (peek lists in delivery order, so behind a backlog a new message would
 * never show). Poll it with the last id seen.
 */
@ApiTags('messages')
@ApiBearerAuth()
@ApiSecurity('x-api-key')
@Controller('v1/queues/:queue')
export class TailController {
  constructor(@Inject(POSTBOX) private readonly postbox: Postbox) {}

  @Get('tail')
  @ApiOkResponse({ type: PeekResultView, description: 'Claims nothing' })
  @RequiresScope(['consume', 'read'])
  async tail(@Param() { queue }: QueueParams, @Query() query: TailQuery): Promise<PeekResultView> {
    const messages = await this.postbox.tail(queue, query.after, query.limit ?? 100);
    if (messages.length === 0) await this.postbox.getQueue(queue);
    return {
      messages: messages.map((m) => ({
        ...m,
        enqueuedAt: m.enqueuedAt.toISOString(),
        availableAt: m.availableAt.toISOString(),
      })),
    };
  }
}
