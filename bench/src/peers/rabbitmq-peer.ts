import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { BenchBody, BenchHandler, Peer } from '../peer';

const QUEUE = 'postbox-bench';
const PRODUCERS = 8;

/**
 * RabbitMQ through amqplib, durable end to end: a durable queue, persistent
 * messages, publisher confirms (a send returns once the broker has the
 * message on disk), manual acks. Batches publish 500 and wait for their
 * confirms once; single sends wait for each confirm. Consumers use
 * prefetch = 10 × concurrency and ack each message.
 */
export class RabbitMqPeer implements Peer {
  readonly name = 'rabbitmq';
  readonly configuration = 'amqplib: durable queue, persistent, publisher confirms, manual acks, prefetch 100';
  private connection!: ChannelModel;
  private channels: ConfirmChannel[] = [];
  private next = 0;

  constructor(readonly url: string) {}

  /** Whether a broker answers on the URL at all (the peer is skipped otherwise). */
  static async available(url: string): Promise<boolean> {
    try {
      const connection = await amqp.connect(url, { timeout: 2_000 });
      await connection.close();
      return true;
    } catch {
      return false;
    }
  }

  async start(): Promise<void> {
    this.connection = await amqp.connect(this.url);
    for (let i = 0; i < PRODUCERS; i++) this.channels.push(await this.connection.createConfirmChannel());
    await this.channels[0]?.assertQueue(QUEUE, { durable: true });
  }

  private channel(): ConfirmChannel {
    return this.channels[this.next++ % this.channels.length] as ConfirmChannel;
  }

  async clean(): Promise<void> {
    await this.channels[0]?.purgeQueue(QUEUE);
  }

  async enqueueBatch(bodies: BenchBody[]): Promise<void> {
    const channel = this.channel();
    for (const body of bodies) channel.sendToQueue(QUEUE, Buffer.from(JSON.stringify(body)), { persistent: true });
    await channel.waitForConfirms();
  }

  sendOne(body: BenchBody): Promise<void> {
    const channel = this.channel();
    return new Promise((resolve, reject) => {
      channel.sendToQueue(QUEUE, Buffer.from(JSON.stringify(body)), { persistent: true }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  async consume(handler: BenchHandler, concurrency: number) {
    const channel = await this.connection.createChannel();
    await channel.prefetch(10 * concurrency);
    const { consumerTag } = await channel.consume(QUEUE, (message) => {
      if (!message) return;
      handler(JSON.parse(message.content.toString()) as BenchBody);
      channel.ack(message);
    });
    return async () => {
      await channel.cancel(consumerTag);
      await channel.close();
    };
  }

  async remaining(): Promise<number> {
    const { messageCount } = await (this.channels[0] as ConfirmChannel).checkQueue(QUEUE);
    return messageCount;
  }

  async close(): Promise<void> {
    await this.connection?.close();
  }
}
