import { ApiProperty } from '@nestjs/swagger';
import type { SubscribeResult, TopicWithSubscriptions } from 'postbox';

export class SubscriptionView {
  @ApiProperty() group!: string;
  @ApiProperty({ description: 'The queue the group consumes from' }) queue!: string;
  @ApiProperty({ type: [String], nullable: true, description: 'null: every message' }) tags!: string[] | null;
  @ApiProperty({ type: String, format: 'date-time' }) subscribedAt!: string;
  @ApiProperty() ready!: number;
  @ApiProperty() delayed!: number;
  @ApiProperty() inFlight!: number;
  @ApiProperty() dead!: number;
  @ApiProperty({ type: Number, nullable: true }) oldestReadyAgeMs!: number | null;
}

export class TopicView {
  @ApiProperty() name!: string;
  @ApiProperty({ type: Number, nullable: true }) retentionMs!: number | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: [SubscriptionView] }) subscriptions!: SubscriptionView[];
}

export class SubscribeResultView {
  @ApiProperty() topic!: string;
  @ApiProperty() group!: string;
  @ApiProperty() queue!: string;
  @ApiProperty({ type: [String], nullable: true }) tags!: string[] | null;
  @ApiProperty({ type: String, format: 'date-time' }) subscribedAt!: string;
}

export function toTopicView(topic: TopicWithSubscriptions): TopicView {
  return {
    name: topic.name,
    retentionMs: topic.retentionMs,
    createdAt: topic.createdAt.toISOString(),
    subscriptions: topic.subscriptions.map((s) => ({ ...s, subscribedAt: s.subscribedAt.toISOString() })),
  };
}

export function toSubscribeResultView({ subscription }: SubscribeResult): SubscribeResultView {
  return {
    topic: subscription.topic,
    group: subscription.group,
    queue: subscription.queue,
    tags: subscription.tags,
    subscribedAt: subscription.createdAt.toISOString(),
  };
}
