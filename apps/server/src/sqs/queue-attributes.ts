import type { QueueOptions, QueueWithStats } from 'postbox';
import { isFifoName, queueArn, queueNameFromArn } from './sqs-context';
import { sqsErrors } from './sqs-error';
import type { SqsOptions } from './sqs-options';
import type { SqsOnlySettings } from './sqs-queue-settings';

/**
 * SQS queue attributes ↔ Postbox queue settings, in one place:
 *   VisibilityTimeout (s)             ↔ visibilityTimeoutMs
 *   RedrivePolicy.maxReceiveCount     ↔ maxAttempts
 *   RedrivePolicy.deadLetterTargetArn ↔ deadLetterQueue
 *   FifoQueue                         ↔ fifo
 *   MaximumMessageSize                ↔ maxMessageBytes
 *   MessageRetentionPeriod (s)        ↔ messageTtlMs, expiredTo: 'drop'
 * and the rest are the queue's protocol attributes (sqs-queue-settings.ts).
 *
 * MaximumMessageSize: both are the largest message a send accepts. SQS
 * counts the body plus each attribute's name, type and value bytes; the
 * core counts the body and headers as JSON text, which adds quotes and
 * escapes (and binary attributes are stored base64). So the endpoint checks
 * SQS's measure against the queue's maxMessageBytes first (sqs-message.ts,
 * SQS's error), and the core's own check is the backstop: a body heavy in
 * characters JSON escapes (a newline is 2 bytes there) can be refused a few
 * bytes below the limit, with the same SQS error (sqs.controller.ts).
 *
 * MessageRetentionPeriod: SQS deletes a message that has been in the queue
 * longer than the period, delivered or not, and sends it nowhere. The core's
 * messageTtlMs with expiredTo 'drop' removes a message not consumed within
 * the TTL of its send, silently (docs/queue-controls.md "Message TTL").
 * Differences: the expiry is fixed at send, so a changed period applies to
 * messages sent from then on (SQS measures every message against the current
 * period); a message moved to a dead-letter queue starts that queue's TTL
 * afresh (SQS keeps its original enqueue time for a standard queue); expired
 * messages leave within ~10 s (the core's maintenance) and count as
 * ApproximateNumberOfMessages until then.
 */

/** SQS's default MessageRetentionPeriod (4 days), given to every queue CreateQueue makes. */
export const DEFAULT_RETENTION_SECONDS = 345_600;

/** SQS redelivers without limit when a queue has no RedrivePolicy; the core's ceiling is 1000 deliveries. */
export const NO_REDRIVE_MAX_ATTEMPTS = 1000;

export const SETTABLE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
] as const;

const READ_ONLY_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

export interface ParsedQueueAttributes {
  core: QueueOptions;
  sqsOnly: Partial<SqsOnlySettings>;
}

function seconds(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw sqsErrors.invalidAttributeValue(name, `must be an integer between ${min} and ${max}.`);
  }
  return n;
}

function bool(name: string, value: string): boolean {
  if (value !== 'true' && value !== 'false') throw sqsErrors.invalidAttributeValue(name, 'must be true or false.');
  return value === 'true';
}

interface RedrivePolicy {
  maxReceiveCount: number;
  deadLetterQueue: string;
}

function redrivePolicy(value: string): RedrivePolicy | null {
  if (value === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw sqsErrors.invalidAttributeValue('RedrivePolicy', 'must be a JSON object.');
  }
  const { maxReceiveCount, deadLetterTargetArn } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof deadLetterTargetArn !== 'string') {
    throw sqsErrors.invalidAttributeValue('RedrivePolicy', 'deadLetterTargetArn is required.');
  }
  return {
    maxReceiveCount: seconds('RedrivePolicy.maxReceiveCount', String(maxReceiveCount), 1, NO_REDRIVE_MAX_ATTEMPTS),
    deadLetterQueue: queueNameFromArn(deadLetterTargetArn, 'RedrivePolicy.deadLetterTargetArn'),
  };
}

/** Checks and splits the attributes of CreateQueue / SetQueueAttributes. */
export function parseQueueAttributes(queue: string, attributes: Record<string, string>): ParsedQueueAttributes {
  const core: QueueOptions = {};
  const sqsOnly: Partial<SqsOnlySettings> = {};
  for (const [name, value] of Object.entries(attributes)) {
    switch (name) {
      case 'DelaySeconds':
        sqsOnly.delaySeconds = seconds(name, value, 0, 900);
        break;
      case 'MaximumMessageSize':
        core.maxMessageBytes = seconds(name, value, 1024, 1_048_576);
        break;
      case 'MessageRetentionPeriod':
        core.messageTtlMs = seconds(name, value, 60, 1_209_600) * 1000;
        core.expiredTo = 'drop';
        break;
      case 'ReceiveMessageWaitTimeSeconds':
        sqsOnly.receiveMessageWaitTimeSeconds = seconds(name, value, 0, 20);
        break;
      case 'VisibilityTimeout':
        // The core's lease is at least 1 ms; SQS's 0 ("visible again at once") is 1 ms here.
        core.visibilityTimeoutMs = Math.max(1, seconds(name, value, 0, 43_200) * 1000);
        break;
      case 'RedrivePolicy': {
        const policy = redrivePolicy(value);
        core.maxAttempts = policy?.maxReceiveCount ?? NO_REDRIVE_MAX_ATTEMPTS;
        core.deadLetterQueue = policy?.deadLetterQueue ?? null;
        break;
      }
      case 'FifoQueue':
        if (bool(name, value) !== isFifoName(queue)) {
          throw sqsErrors.invalidParameterValue(
            'The name of a FIFO queue must end with the .fifo suffix, and only FIFO queues may have such a name.',
          );
        }
        break;
      case 'ContentBasedDeduplication':
        if (!isFifoName(queue)) throw sqsErrors.invalidAttributeName(name);
        sqsOnly.contentBasedDeduplication = bool(name, value);
        break;
      default:
        throw sqsErrors.invalidAttributeName(name);
    }
  }
  return { core, sqsOnly };
}

/** The queue's attributes as GetQueueAttributes reports them (all of them; the caller picks). */
export function renderQueueAttributes(
  queue: QueueWithStats,
  sqsOnly: SqsOnlySettings,
  options: SqsOptions,
): Record<string, string> {
  const created = String(Math.floor(queue.createdAt.getTime() / 1000));
  const attributes: Record<string, string> = {
    QueueArn: queueArn(options, queue.name),
    ApproximateNumberOfMessages: String(queue.ready),
    ApproximateNumberOfMessagesNotVisible: String(queue.inFlight),
    ApproximateNumberOfMessagesDelayed: String(queue.delayed),
    CreatedTimestamp: created,
    // The core does not record changes to a queue; its creation is the last one it knows.
    LastModifiedTimestamp: created,
    VisibilityTimeout: String(Math.floor(queue.visibilityTimeoutMs / 1000)),
    MaximumMessageSize: String(queue.maxMessageBytes),
    DelaySeconds: String(sqsOnly.delaySeconds),
    ReceiveMessageWaitTimeSeconds: String(sqsOnly.receiveMessageWaitTimeSeconds),
  };
  // A queue made outside SQS may keep its messages for ever (messageTtlMs null): no period to report.
  if (queue.messageTtlMs !== null) attributes.MessageRetentionPeriod = String(Math.floor(queue.messageTtlMs / 1000));
  if (queue.deadLetterQueue !== null) {
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: queueArn(options, queue.deadLetterQueue),
      maxReceiveCount: queue.maxAttempts,
    });
  }
  if (isFifoName(queue.name)) {
    attributes.FifoQueue = 'true';
    attributes.ContentBasedDeduplication = String(sqsOnly.contentBasedDeduplication);
  }
  return attributes;
}

/** AttributeNames of GetQueueAttributes: "All" or known names (unknown ones are SQS's InvalidAttributeName). */
export function pickQueueAttributes(all: Record<string, string>, names: readonly string[]): Record<string, string> {
  if (names.includes('All')) return all;
  const known = new Set<string>([...SETTABLE_ATTRIBUTES, ...READ_ONLY_ATTRIBUTES]);
  const picked: Record<string, string> = {};
  for (const name of names) {
    if (!known.has(name)) throw sqsErrors.invalidAttributeName(name);
    if (all[name] !== undefined) picked[name] = all[name];
  }
  return picked;
}
