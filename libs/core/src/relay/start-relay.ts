import type { Consumer } from '../consumer/consumer';
import type { ReceivedMessage } from '../messages/message';
import type { Postbox } from '../postbox';
import { SubscriptionNotFoundError } from '../topics/topic-settings';
import { BrokerLink, RelayStoppedError } from './broker-link';
import { loadAmqplib } from './load-amqplib';
import { type RelayOptions, type RelayStats, resolveRelayOptions } from './relay-options';
import { routingKeyFor } from './routing-key';

export interface Relay {
  /** The Postbox queue being relayed. */
  readonly queue: string;
  readonly stats: RelayStats;
  /**
   * Graceful stop: no new claims; publishes awaiting confirms finish and are
   * acked; messages still waiting for a broker connection are released
   * (visible again at once, no attempt counted); then the connection closes.
   * With a timeout, what is still unconfirmed after it is left to its lease.
   */
  stop(options?: { timeoutMs?: number }): Promise<void>;
}

/** Header carrying the Postbox queue a relayed message came from. */
export const RELAY_QUEUE_HEADER = 'x-postbox-queue';
/** Header carrying the message's FIFO group, when it has one. */
export const RELAY_GROUP_HEADER = 'x-postbox-group-key';

/**
 * Relays a Postbox queue (or a topic group's queue) to a RabbitMQ exchange:
 * the outbox's most common deployment. Each message is published persistent
 * (deliveryMode 2) on a confirm channel, with `messageId` = the Postbox id so
 * consumers can drop duplicates, and acked in Postgres only after the broker
 * confirmed it. A broker nack or an unroutable return is nacked in Postgres
 * (the queue's backoff, then its dead letters with the reason); a lost
 * connection is waited out (the consumer keeps extending the lease) and the
 * publish sent again, so a broker restart costs no attempts.
 *
 * Order: FIFO queues hand out one in-flight message per group and the next
 * one only after the ack, which comes after the confirm, so each group
 * reaches the exchange in send order. Delivery is at least once: a confirm
 * lost in a crash republishes the message (same messageId).
 */
export async function startRelay(postbox: Postbox, options: RelayOptions): Promise<Relay> {
  const resolved = resolveRelayOptions(options);
  const amqplib = await loadAmqplib();
  const queue = resolved.queue ?? (await groupQueue(postbox, resolved.topic as string, resolved.group as string));
  const onError = resolved.onError ?? (() => {});
  const stats: RelayStats = {
    published: 0,
    confirmed: 0,
    nacked: 0,
    returned: 0,
    republished: 0,
    connects: 0,
    released: 0,
  };
  const link = new BrokerLink({
    amqplib,
    target: resolved.url ?? (resolved.connection as Record<string, unknown>),
    exchange: resolved.exchange,
    initialDelayMs: resolved.reconnectInitialMs,
    maxDelayMs: resolved.reconnectMaxMs,
    stats,
    onError,
  });
  link.start();

  const relayOne = async (message: ReceivedMessage): Promise<void> => {
    const routingKey = routingKeyFor(message, resolved.routingKey);
    const headers: Record<string, string> = { ...message.headers, [RELAY_QUEUE_HEADER]: queue };
    if (message.groupKey !== null) headers[RELAY_GROUP_HEADER] = message.groupKey;
    try {
      await link.publishConfirmed(routingKey, Buffer.from(JSON.stringify(message.body)), {
        messageId: message.id,
        persistent: true,
        contentType: 'application/json',
        timestamp: Math.floor(message.enqueuedAt.getTime() / 1000),
        mandatory: resolved.mandatory,
        headers,
      });
    } catch (error) {
      if (error instanceof RelayStoppedError) {
        // Never published on a live channel: back to the queue without using an attempt.
        // (Awaited first: `stats.released += await …` would read the counter before the wait and lose concurrent adds.)
        const released = await postbox.release(queue, [message.receipt]).catch(() => 0);
        stats.released += released;
      }
      throw error;
    }
  };

  const consumer: Consumer = await postbox.consume(queue, relayOne, {
    concurrency: resolved.concurrency,
    batchSize: resolved.batchSize,
    visibilityTimeoutMs: resolved.visibilityTimeoutMs,
    pollIntervalMs: resolved.pollIntervalMs,
    claimMode: 'lease',
    onError: (error) => {
      if (!(error instanceof RelayStoppedError)) onError(error);
    },
  });

  let stopped: Promise<void> | null = null;
  return {
    queue,
    stats,
    stop({ timeoutMs } = {}) {
      stopped ??= (async () => {
        link.stopWaiting();
        await consumer.stop({ timeoutMs });
        await link.close();
      })();
      return stopped;
    },
  };
}

/** `relayToRabbitMq` is startRelay's descriptive name; the same function. */
export const relayToRabbitMq = startRelay;

async function groupQueue(postbox: Postbox, topic: string, group: string): Promise<string> {
  const found = (await postbox.getTopic(topic)).subscriptions.find((s) => s.group === group);
  if (!found) throw new SubscriptionNotFoundError(topic, group);
  return found.queue;
}
