import { ConflictError, type Postbox, type Queue, type QueueOptions, type Topic, type TopicOptions } from 'postbox';

/**
 * The queues and topics declared in forRoot, created at bootstrap. Like
 * RabbitMQ's assertQueue, an existing queue with OTHER settings is an error
 * (ConflictError naming the declaration), not silently kept: a config change
 * must be deliberate.
 */
export async function ensureQueue(postbox: Postbox, name: string, options?: QueueOptions): Promise<Queue> {
  try {
    return (await postbox.createQueue(name, options)).queue;
  } catch (error) {
    if (error instanceof ConflictError) throw new ConflictError(`ensureQueue("${name}"): ${error.message}`);
    throw error;
  }
}

/** Creates the topic if it is missing; another retention than the existing one is a ConflictError. */
export async function ensureTopic(postbox: Postbox, name: string, options?: TopicOptions): Promise<Topic> {
  return (await postbox.createTopic(name, options)).topic;
}
