import type { AmqpConfirmChannel, AmqpConnection, Amqplib } from './load-amqplib';
import type { RelayStats } from './relay-options';

/** The broker nacked a publish (basic.nack): it did not take responsibility for the message. */
export class BrokerNackError extends Error {
  constructor(exchange: string, routingKey: string) {
    super(`broker nacked the publish to exchange "${exchange}" with routing key "${routingKey}"`);
    this.name = 'BrokerNackError';
  }
}

/** A mandatory publish came back (basic.return): no queue is bound for its routing key. */
export class UnroutableError extends Error {
  constructor(exchange: string, routingKey: string, replyText: string) {
    super(`unroutable: ${replyText} (exchange "${exchange}", routing key "${routingKey}")`);
    this.name = 'UnroutableError';
  }
}

/** The relay is stopping and the broker is not connected: the message goes back unpublished. */
export class RelayStoppedError extends Error {
  constructor() {
    super('relay stopped before the broker confirmed');
    this.name = 'RelayStoppedError';
  }
}

export interface BrokerLinkOptions {
  amqplib: Amqplib;
  target: string | Record<string, unknown>;
  exchange: string;
  initialDelayMs: number;
  maxDelayMs: number;
  stats: RelayStats;
  onError: (error: unknown) => void;
}

interface Live {
  connection: AmqpConnection;
  channel: AmqpConfirmChannel;
}

/**
 * amqplib's error for a basic.nack (lib/channel.js). Every other failure of a
 * publish ('channel closed' for confirms cut off, IllegalOperationError for a
 * publish on a closing channel) means the connection went.
 */
const BROKER_NACK = 'message nacked';

/**
 * One connection and one confirm channel to the broker, reconnected by
 * itself: after a broker restart or a dropped socket it reconnects with
 * exponential backoff and jitter, and publishes cut off by the loss are sent
 * again on the new channel. All publishes share the one channel, so messages
 * go out in the order they were handed over (FIFO groups rely on it).
 */
export class BrokerLink {
  private live: Live | null = null;
  private waiters: { resolve: (live: Live) => void; reject: (error: Error) => void }[] = [];
  /** messageId → reply text of a basic.return; RabbitMQ sends the return before the confirm of the same publish. */
  private readonly returned = new Map<string, string>();
  private closing = false;
  private loop: Promise<void> | null = null;
  private wakeLoop: () => void = () => {};

  constructor(private readonly options: BrokerLinkOptions) {}

  start(): void {
    this.loop ??= this.connectLoop();
  }

  /** Publishes one message and resolves when the broker confirmed it; republishes after a lost connection. */
  async publishConfirmed(routingKey: string, content: Buffer, properties: Record<string, unknown>): Promise<void> {
    const { exchange, stats } = this.options;
    const messageId = properties.messageId as string;
    for (;;) {
      const live = await this.channel();
      try {
        await new Promise<void>((resolve, reject) => {
          stats.published++;
          live.channel.publish(exchange, routingKey, content, properties, (error) =>
            error ? reject(error) : resolve(),
          );
        });
      } catch (error) {
        const replyText = this.returned.get(messageId);
        this.returned.delete(messageId);
        if (replyText === undefined && !isBrokerNack(error)) {
          // The connection went before the broker answered: it may or may
          // not have the message. Send again (a possible duplicate, which the
          // consumer drops by messageId) rather than risk losing it.
          stats.republished++;
          this.dropLive(live);
          continue;
        }
        stats.nacked++;
        throw new BrokerNackError(exchange, routingKey);
      }
      const replyText = this.returned.get(messageId);
      if (replyText !== undefined) {
        this.returned.delete(messageId);
        stats.returned++;
        throw new UnroutableError(exchange, routingKey, replyText);
      }
      stats.confirmed++;
      return;
    }
  }

  /** The live channel, or a wait for the next one; rejects with RelayStoppedError once stopping. */
  private channel(): Promise<Live> {
    if (this.live) return Promise.resolve(this.live);
    if (this.closing) return Promise.reject(new RelayStoppedError());
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Stops reconnecting; publishes still waiting for a connection fail with RelayStoppedError. Live publishes go on. */
  stopWaiting(): void {
    this.closing = true;
    this.wakeLoop();
    for (const waiter of this.waiters.splice(0)) waiter.reject(new RelayStoppedError());
  }

  /** Closes the channel (after its confirms arrived: callers drain first) and the connection. */
  async close(): Promise<void> {
    this.stopWaiting();
    const live = this.live;
    this.live = null;
    if (live) {
      await live.channel.close().catch(() => {});
      await live.connection.close().catch(() => {});
    }
    await this.loop;
  }

  private async connectLoop(): Promise<void> {
    const { amqplib, target, exchange, initialDelayMs, maxDelayMs, stats, onError } = this.options;
    let delay = initialDelayMs;
    while (!this.closing) {
      let connection: AmqpConnection | null = null;
      try {
        connection = await amqplib.connect(target);
        // 'error' is always followed by 'close', where the loop reconnects.
        connection.on('error', (error: unknown) => onError(error));
        const closed = new Promise<void>((resolve) => connection?.once('close', () => resolve()));
        const channel = await connection.createConfirmChannel();
        channel.on('error', (error: unknown) => onError(error));
        channel.on('return', (message: { properties: { messageId?: string }; fields: { replyText?: string } }) => {
          const id = message.properties.messageId;
          if (id !== undefined) this.returned.set(id, message.fields.replyText ?? 'NO_ROUTE');
        });
        const channelClosed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
        // A missing exchange would close the channel on the first publish; say so plainly instead.
        if (exchange !== '') {
          await channel.checkExchange(exchange).catch((error: Error) => {
            throw new Error(`RabbitMQ exchange "${exchange}" does not exist (${error.message})`);
          });
        }
        const live: Live = { connection, channel };
        this.live = live;
        stats.connects++;
        delay = initialDelayMs;
        for (const waiter of this.waiters.splice(0)) waiter.resolve(live);
        await Promise.race([closed, channelClosed]);
        this.dropLive(live);
      } catch (error) {
        onError(error);
        await connection?.close().catch(() => {});
      }
      if (this.closing) break;
      // Equal jitter: half the delay fixed, half random, so relays restarted together do not reconnect together.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay / 2 + Math.random() * (delay / 2));
        this.wakeLoop = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }

  /** Forgets a channel that failed; the connect loop, woken by its close, makes the next one. */
  private dropLive(live: Live): void {
    if (this.live !== live) return;
    this.live = null;
    void live.connection.close().catch(() => {});
  }
}

function isBrokerNack(error: unknown): boolean {
  return error instanceof Error && error.message === BROKER_NACK;
}
