import type { Postbox } from 'postbox';

/**
 * The SQS queue attributes the core has no setting for. They are kept in
 * the queue row's protocol attributes (postbox.setProtocolAttributes,
 * migrations/committed/000012.sql), so every service instance reads the
 * same ones and a restart loses none; they are read per request (one
 * primary-key lookup, no cache: a cache would let one instance serve a
 * stale DelaySeconds after another changed it). MaximumMessageSize and
 * MessageRetentionPeriod are the queue's own maxMessageBytes and
 * messageTtlMs (queue-attributes.ts).
 */
export interface SqsOnlySettings {
  /** Default DelaySeconds of a send that gives none; applied by SendMessage(Batch). */
  delaySeconds: number;
  /** Default WaitTimeSeconds of a ReceiveMessage that gives none. */
  receiveMessageWaitTimeSeconds: number;
  /** FIFO: a send without MessageDeduplicationId dedups on sha256(body). */
  contentBasedDeduplication: boolean;
}

/** What a send checks: the SQS-only settings and the queue's size limit (its maxMessageBytes). */
export interface SqsSendSettings extends SqsOnlySettings {
  maximumMessageSize: number;
}

/** SQS's defaults. */
export const DEFAULT_SQS_ONLY_SETTINGS: SqsOnlySettings = {
  delaySeconds: 0,
  receiveMessageWaitTimeSeconds: 0,
  contentBasedDeduplication: false,
};

/** Each setting's key in the protocol attributes: the SQS attribute name under the "sqs." prefix. */
const KEYS: Record<keyof SqsOnlySettings, string> = {
  delaySeconds: 'sqs.DelaySeconds',
  receiveMessageWaitTimeSeconds: 'sqs.ReceiveMessageWaitTimeSeconds',
  contentBasedDeduplication: 'sqs.ContentBasedDeduplication',
};

/** The stored attributes as settings; a key missing (or of another type, written by hand) is SQS's default. */
export function fromProtocolAttributes(stored: Record<string, unknown>): SqsOnlySettings {
  const settings = { ...DEFAULT_SQS_ONLY_SETTINGS };
  for (const [field, key] of Object.entries(KEYS) as [keyof SqsOnlySettings, string][]) {
    const value = stored[key];
    if (typeof value === typeof DEFAULT_SQS_ONLY_SETTINGS[field]) (settings as Record<string, unknown>)[field] = value;
  }
  return settings;
}

export function toProtocolAttributes(changes: Partial<SqsOnlySettings>): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(changes)) {
    if (value !== undefined) attributes[KEYS[field as keyof SqsOnlySettings]] = value;
  }
  return attributes;
}

export async function readSqsOnlySettings(postbox: Postbox, queue: string): Promise<SqsOnlySettings> {
  return fromProtocolAttributes(await postbox.getProtocolAttributes(queue));
}

/** Two primary-key lookups, in parallel; a missing queue is QueueNotFoundError (SQS's QueueDoesNotExist). */
export async function readSendSettings(postbox: Postbox, queue: string): Promise<SqsSendSettings> {
  const [row, stored] = await Promise.all([postbox.getQueue(queue), postbox.getProtocolAttributes(queue)]);
  return { ...fromProtocolAttributes(stored), maximumMessageSize: row.maxMessageBytes };
}
