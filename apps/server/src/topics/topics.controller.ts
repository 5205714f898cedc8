import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { SubscriptionNotFoundError, TopicNotFoundError } from 'postbox';
import { bodyNameField, subscriptionTarget } from '../auth/name-sources';
import { RequiresScope } from '../auth/requires-scope.decorator';
import { ShowsOnlyKeyNames } from '../auth/visible-names.interceptor';
import type { HttpResponse } from '../http-types';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { CreateTopicDto } from './dto/create-topic.dto';
import { PublishBatchDto, PublishBatchResultView, PublishMessageDto, PublishResultView } from './dto/publish.dto';
import { ReplayDto, ReplayResultView } from './dto/replay.dto';
import { SubscribeDto } from './dto/subscribe.dto';
import { SubscriptionParams, TopicParams } from './dto/topic-params.dto';
import { SubscribeResultView, TopicView, toSubscribeResultView, toTopicView } from './dto/topic-view';
import { PublishMessagesPipe } from './publish-messages.pipe';

/** The Topics routes of API.md: pub/sub with consumer groups, tag filters and replay. */
@ApiTags('topics')
@Controller('v1/topics')
export class TopicsController {
  constructor(@Inject(POSTBOX) private readonly postbox: Postbox) {}

  @Post()
  @ApiCreatedResponse({ type: TopicView, description: 'Created' })
  @ApiOkResponse({ type: TopicView, description: 'Already existed with the same settings' })
  @ApiConflictResponse({ description: 'Already exists with other settings' })
  @RequiresScope('admin', bodyNameField)
  async create(@Body() dto: CreateTopicDto, @Res({ passthrough: true }) res: HttpResponse): Promise<TopicView> {
    const { created } = await this.postbox.createTopic(dto.name, { retentionMs: dto.retentionMs });
    if (!created) res.status(200);
    return toTopicView(await this.postbox.getTopic(dto.name));
  }

  @Get()
  @ApiOkResponse({ type: TopicView, isArray: true })
  @RequiresScope('read')
  @ShowsOnlyKeyNames()
  async list(): Promise<TopicView[]> {
    return (await this.postbox.listTopics()).map(toTopicView);
  }

  @Get(':topic')
  @ApiOkResponse({ type: TopicView })
  @ApiNotFoundResponse()
  @RequiresScope('read')
  async get(@Param() { topic }: TopicParams): Promise<TopicView> {
    return toTopicView(await this.postbox.getTopic(topic));
  }

  @Delete(':topic')
  @HttpCode(204)
  @ApiNotFoundResponse({ description: 'Unknown topic. The groups’ queues are kept.' })
  @RequiresScope('admin')
  async delete(@Param() { topic }: TopicParams): Promise<void> {
    if (!(await this.postbox.deleteTopic(topic))) throw new TopicNotFoundError(topic);
  }

  @Post(':topic/subscriptions')
  @ApiCreatedResponse({ type: SubscribeResultView, description: 'Subscribed' })
  @ApiOkResponse({ type: SubscribeResultView, description: 'Already subscribed with the same settings' })
  @ApiConflictResponse({ description: 'The group or its queue exists with other settings' })
  @ApiNotFoundResponse({ description: 'Unknown topic' })
  @RequiresScope('admin', subscriptionTarget)
  async subscribe(
    @Param() { topic }: TopicParams,
    @Body() dto: SubscribeDto,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<SubscribeResultView> {
    const { group, ...options } = dto;
    const result = await this.postbox.subscribe(topic, group, options);
    if (!result.created) res.status(200);
    return toSubscribeResultView(result);
  }

  @Delete(':topic/subscriptions/:group')
  @HttpCode(204)
  @ApiNotFoundResponse({ description: 'Unknown subscription. The group’s queue is kept.' })
  @RequiresScope('admin')
  async unsubscribe(@Param() { topic, group }: SubscriptionParams): Promise<void> {
    if (!(await this.postbox.unsubscribe(topic, group))) throw new SubscriptionNotFoundError(topic, group);
  }

  @Post(':topic/publish')
  @ApiExtraModels(PublishMessageDto, PublishBatchDto, PublishBatchResultView)
  @ApiBody({
    schema: { oneOf: [{ $ref: getSchemaPath(PublishMessageDto) }, { $ref: getSchemaPath(PublishBatchDto) }] },
  })
  @ApiCreatedResponse({
    description: 'One message: {id, deliveredTo}; a batch: {results: [{id, deliveredTo}, …]}',
    schema: {
      oneOf: [{ $ref: getSchemaPath(PublishResultView) }, { $ref: getSchemaPath(PublishBatchResultView) }],
    },
  })
  @ApiNotFoundResponse({ description: 'Unknown topic' })
  @RequiresScope('produce')
  async publish(
    @Param() { topic }: TopicParams,
    @Body(PublishMessagesPipe) dto: PublishMessageDto | PublishBatchDto,
  ): Promise<PublishResultView | PublishBatchResultView> {
    if (dto instanceof PublishBatchDto) return { results: await this.postbox.publishBatch(topic, dto.messages) };
    return this.postbox.publish(topic, dto);
  }

  @Post(':topic/subscriptions/:group/replay')
  @HttpCode(200)
  @ApiOkResponse({ type: ReplayResultView })
  @ApiNotFoundResponse({ description: 'Unknown topic or subscription' })
  @RequiresScope('admin')
  replay(@Param() { topic, group }: SubscriptionParams, @Body() dto: ReplayDto): Promise<ReplayResultView> {
    return this.postbox.replay(topic, group, { from: dto.from });
  }
}
