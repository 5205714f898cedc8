import { SetMetadata } from '@nestjs/common';
import { TOPIC_HANDLER_METADATA, type TopicHandlerMetadata, type TopicHandlerOptions } from './handler-metadata';

/**
 * Marks a provider method as a consumer in group `group` of `topic`
 * (pub/sub): every group gets every message published to the topic, the
 * consumers of one group (this method, in every replica) compete. At
 * bootstrap the group is subscribed (idempotently; the topic must exist or be
 * declared in forRoot's `topics`), then its queue is consumed like a
 * @QueueHandler's.
 */
export const TopicHandler = (topic: string, group: string, options: TopicHandlerOptions = {}): MethodDecorator =>
  SetMetadata<string, TopicHandlerMetadata>(TOPIC_HANDLER_METADATA, { topic, group, options });
