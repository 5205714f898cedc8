import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { ReceivedMessage } from 'postbox';
import { RequiresScope } from '../auth/requires-scope.decorator';
import type { HttpResponse } from '../http-types';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { DeleteMessageQuery, MessageIdParams } from '../queues/dto/operations.dto';
import { QueueParams } from '../queues/dto/queue-params.dto';
import { CancelDto, CancelResultView } from './dto/cancel.dto';
import { PeekQuery, PeekResultView } from './dto/peek.dto';
import { AckDto, AckResultView, ExtendDto, ExtendResultView, NackDto, NackResultView } from './dto/receipts.dto';
import { ReceiveDto, type ReceivedMessageView, ReceiveResultView } from './dto/receive.dto';
import { RedriveDto, RedriveResultView } from './dto/redrive.dto';
import { SendBatchDto, SendMessageDto, SendResultView } from './dto/send-message.dto';
import { LongPolls } from './long-polls';
import { SendMessagesPipe } from './send-messages.pipe';

function toReceivedView(message: ReceivedMessage): ReceivedMessageView {
  return {
    id: message.id,
    receipt: message.receipt,
    body: message.body,
    headers: message.headers,
    attempts: message.attempts,
    enqueuedAt: message.enqueuedAt.toISOString(),
    ...(message.groupKey !== null ? { groupKey: message.groupKey } : {}),
    priority: message.priority,
    leaseExpiresAt: message.leaseExpiresAt.toISOString(),
  };
}

/**
 * The message routes of API.md. Each is one call into the Postbox client; an
 * unknown queue is looked up only when the call found nothing (a receive,
 * ack or peek on a missing queue matches no rows), so the busy path pays no
 * extra round trip for the 404.
 */
@ApiTags('messages')
@ApiBearerAuth()
@ApiSecurity('x-api-key')
@ApiNotFoundResponse({ description: 'Unknown queue' })
@Controller('v1/queues/:queue')
export class MessagesController {
  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    private readonly longPolls: LongPolls,
  ) {}

  @Post('messages')
  @ApiExtraModels(SendMessageDto, SendBatchDto)
  @ApiBody({ schema: { oneOf: [{ $ref: getSchemaPath(SendMessageDto) }, { $ref: getSchemaPath(SendBatchDto) }] } })
  @ApiCreatedResponse({ type: SendResultView })
  @RequiresScope('produce')
  async send(
    @Param() { queue }: QueueParams,
    @Body(SendMessagesPipe) dto: SendMessageDto | SendBatchDto,
  ): Promise<SendResultView> {
    if (dto instanceof SendBatchDto) {
      const { ids, duplicates } = await this.postbox.sendBatch(queue, dto.messages);
      return duplicates.length > 0 ? { ids, duplicates } : { ids };
    }
    // One message goes through send(), whose group commit lets concurrent
    // requests share a statement and its WAL flush (see the README's table).
    const { id, duplicate } = await this.postbox.send(queue, dto);
    return duplicate ? { ids: [id], duplicates: [0] } : { ids: [id] };
  }

  @Post('receive')
  @HttpCode(200)
  @ApiOkResponse({ type: ReceiveResultView })
  @RequiresScope('consume')
  async receive(
    @Param() { queue }: QueueParams,
    @Body() dto: ReceiveDto,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<ReceiveResultView> {
    const started = Date.now();
    const options = { max: dto.max ?? 1, visibilityTimeoutMs: dto.visibilityTimeoutMs };
    // Others already wait on this queue and found it empty: join them with no
    // claim or lookup of our own (it existed when they came). Re-issued long
    // polls cost no transaction then: 10,000 waiters re-polling every 30 s
    // were ~1,000 transactions/s (claim, queue lookup, claim again).
    const joining = (dto.waitMs ?? 0) > 0 && this.postbox.receiveWouldWait(queue);
    let messages = joining ? [] : await this.postbox.receive(queue, options);
    if (messages.length === 0) {
      if (!joining) await this.postbox.getQueue(queue); // 404 for an unknown queue, before waiting on it
      const waitMs = (dto.waitMs ?? 0) - (Date.now() - started);
      if (waitMs > 0) {
        const poll = this.longPolls.start(res);
        messages = await this.postbox.receive(queue, { ...options, waitMs, signal: poll.signal });
        if (poll.clientGone && messages.length > 0) {
          // Claimed after the client hung up: hand them back now rather than after the lease.
          await this.postbox.release(
            queue,
            messages.map((m) => m.receipt),
          );
          messages = [];
        }
      }
    }
    return { messages: messages.map(toReceivedView) };
  }

  @Post('ack')
  @HttpCode(200)
  @ApiOkResponse({ type: AckResultView })
  @RequiresScope('consume')
  async ack(@Param() { queue }: QueueParams, @Body() dto: AckDto): Promise<AckResultView> {
    const result = await this.postbox.ack(queue, dto.receipts);
    if (result.acked === 0) await this.postbox.getQueue(queue);
    return result;
  }

  @Post('nack')
  @HttpCode(200)
  @ApiOkResponse({ type: NackResultView })
  @RequiresScope('consume')
  async nack(@Param() { queue }: QueueParams, @Body() dto: NackDto): Promise<NackResultView> {
    const items = dto.receipts.map((receipt) => ({ receipt, error: dto.error, delayMs: dto.delayMs }));
    const result = await this.postbox.nack(queue, items);
    if (result.retried + result.deadLettered === 0) await this.postbox.getQueue(queue);
    return result;
  }

  @Post('extend')
  @HttpCode(200)
  @ApiOkResponse({ type: ExtendResultView })
  @RequiresScope('consume')
  async extend(@Param() { queue }: QueueParams, @Body() dto: ExtendDto): Promise<ExtendResultView> {
    const result = await this.postbox.extend(queue, dto.receipts, dto.visibilityTimeoutMs);
    if (result.extended === 0) await this.postbox.getQueue(queue);
    return result;
  }

  @Get('messages')
  @ApiOkResponse({ type: PeekResultView, description: 'Claims nothing' })
  @RequiresScope(['consume', 'read'])
  async peek(@Param() { queue }: QueueParams, @Query() query: PeekQuery): Promise<PeekResultView> {
    const messages = await this.postbox.peek(queue, query.state ?? 'ready', query.limit ?? 100);
    if (messages.length === 0) await this.postbox.getQueue(queue);
    return {
      messages: messages.map((m) => ({
        ...m,
        enqueuedAt: m.enqueuedAt.toISOString(),
        availableAt: m.availableAt.toISOString(),
      })),
    };
  }

  @Post('redrive')
  @HttpCode(200)
  @ApiOkResponse({ type: RedriveResultView })
  @RequiresScope('admin')
  async redrive(@Param() { queue }: QueueParams, @Body() dto: RedriveDto): Promise<RedriveResultView> {
    const redriven = await this.postbox.redrive(queue, dto.ids);
    if (redriven === 0) await this.postbox.getQueue(queue);
    return { redriven };
  }

  @Delete('messages/:id')
  @HttpCode(204)
  @ApiNotFoundResponse({ description: 'No such message in the queue' })
  @ApiConflictResponse({ description: 'In flight (give force=true to delete it anyway)' })
  @RequiresScope('admin')
  async deleteMessage(@Param() { queue, id }: MessageIdParams, @Query() query: DeleteMessageQuery): Promise<void> {
    await this.postbox.deleteMessage(queue, id, { force: query.force === 'true' });
  }

  @Post('cancel')
  @HttpCode(200)
  @ApiOkResponse({ type: CancelResultView, description: 'Cancelled; the dedupKey is free again' })
  @ApiConflictResponse({ description: 'In flight' })
  @RequiresScope('produce')
  async cancel(@Param() { queue }: QueueParams, @Body() dto: CancelDto): Promise<CancelResultView> {
    return { cancelled: await this.postbox.cancelByDedupKey(queue, dto.dedupKey) };
  }
}
