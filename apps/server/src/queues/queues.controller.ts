import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { QueueNotFoundError } from 'postbox';
import { bodyNameField, type NameSource, routeParamNames } from '../auth/name-sources';
import { NamedResourceRoute } from '../auth/named-resource-route.decorator';
import { RequiresScope } from '../auth/requires-scope.decorator';
import { ShowsOnlyKeyNames } from '../auth/visible-names.interceptor';
import type { HttpResponse } from '../http-types';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { CreateQueueDto } from './dto/create-queue.dto';
import { MoveDto, MoveResultView, PurgeDto, PurgeResultView } from './dto/operations.dto';
import { QueueParams } from './dto/queue-params.dto';
import { QueueView, toQueueView } from './dto/queue-view';
import { UpdateQueueDto } from './dto/update-queue.dto';

/**
 * The queue and the named destination of a move; without `to`, a move may
 * reach any queue its dead letters came from, so a names-limited key needs
 * to name `to`.
 */
const moveNames: NameSource = (req, postbox) => {
  const to = (req.body as { to?: unknown } | undefined)?.to;
  if (to === undefined) return 'all';
  return typeof to === 'string' ? [req.params.queue as string, to] : routeParamNames(req, postbox);
};

@ApiTags('queues')
@ApiBearerAuth()
@ApiSecurity('x-api-key')
@Controller('v1/queues')
export class QueuesController {
  constructor(@Inject(POSTBOX) private readonly postbox: Postbox) {}

  @Post()
  @ApiCreatedResponse({ type: QueueView, description: 'Created' })
  @ApiOkResponse({ type: QueueView, description: 'Already existed with the same settings' })
  @ApiConflictResponse({ description: 'Already exists with other settings' })
  @RequiresScope('admin', bodyNameField)
  async create(@Body() dto: CreateQueueDto, @Res({ passthrough: true }) res: HttpResponse): Promise<QueueView> {
    const { name, ...options } = dto;
    const { created } = await this.postbox.createQueue(name, options);
    if (!created) res.status(200);
    return toQueueView(await this.postbox.getQueueStats(name));
  }

  @Get()
  @ApiOkResponse({ type: QueueView, isArray: true })
  @RequiresScope('read')
  @ShowsOnlyKeyNames()
  async list(): Promise<QueueView[]> {
    return (await this.postbox.listQueues()).map(toQueueView);
  }

  @Get(':queue')
  @NamedResourceRoute('read', { answer: { type: QueueView } })
  async get(@Param() { queue }: QueueParams): Promise<QueueView> {
    return toQueueView(await this.postbox.getQueueStats(queue));
  }

  @Delete(':queue')
  @HttpCode(204)
  @NamedResourceRoute('admin')
  async delete(@Param() { queue }: QueueParams): Promise<void> {
    if (!(await this.postbox.deleteQueue(queue))) throw new QueueNotFoundError(queue);
  }

  @Post(':queue/purge')
  @HttpCode(200)
  @NamedResourceRoute('admin', { answer: { type: PurgeResultView, description: 'In-flight messages are untouched' } })
  async purge(@Param() { queue }: QueueParams, @Body() dto: PurgeDto): Promise<PurgeResultView> {
    return { purged: await this.postbox.purgeQueue(queue, dto.states) };
  }

  @Post(':queue/move')
  @HttpCode(202)
  @NamedResourceRoute('admin', {
    names: moveNames,
    answer: { status: 202, type: MoveResultView, description: 'Progress at GET /v1/tasks/:taskId' },
    notFound: 'Unknown queue (or `to`)',
  })
  async move(@Param() { queue }: QueueParams, @Body() dto: MoveDto): Promise<MoveResultView> {
    return { taskId: await this.postbox.moveDeadLetters(queue, dto) };
  }

  // Operating a queue (docs/queue-controls.md). Each answers the queue with its depth.

  @Patch(':queue')
  @NamedResourceRoute('admin', {
    answer: { type: QueueView, description: 'Changed in place; in-flight messages keep their lease' },
  })
  async update(@Param() { queue }: QueueParams, @Body() dto: UpdateQueueDto): Promise<QueueView> {
    await this.postbox.updateQueue(queue, dto);
    return toQueueView(await this.postbox.getQueueStats(queue));
  }

  @Post(':queue/pause')
  @HttpCode(200)
  @NamedResourceRoute('admin', {
    answer: { type: QueueView, description: 'paused: true; receives and consumers get nothing, sends land' },
  })
  async pause(@Param() { queue }: QueueParams): Promise<QueueView> {
    await this.postbox.pauseQueue(queue);
    return toQueueView(await this.postbox.getQueueStats(queue));
  }

  @Post(':queue/resume')
  @HttpCode(200)
  @NamedResourceRoute('admin', {
    answer: { type: QueueView, description: 'paused: false; waiting consumers are woken' },
  })
  async resume(@Param() { queue }: QueueParams): Promise<QueueView> {
    await this.postbox.resumeQueue(queue);
    return toQueueView(await this.postbox.getQueueStats(queue));
  }
}
