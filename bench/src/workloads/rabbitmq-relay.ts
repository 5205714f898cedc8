import amqp from 'amqplib';
import type { Postbox } from 'postbox';
import { startRelay } from 'postbox';
import { RabbitMqPeer } from '../peers/rabbitmq-peer';
import { now, sleep } from '../timing';
import { RabbitMqNode, rabbitmqUnavailableReason } from './rabbitmq-node';

export type RelayBenchResult =
  | { skipped: string }
  | {
      broker: string;
      backlog: number;
      seconds: number;
      messagesPerSecond: number;
      arrived: number;
      published: number;
      connects: number;
    };

const QUEUE = 'bench-relay';
const EXCHANGE = 'postbox.bench-relay';
const SINK = 'postbox.bench-relay.sink';

/**
 * Workload: the outbox relay to RabbitMQ. A backlog of `backlog` messages
 * waits in a Postbox queue; the relay (default settings: 200 publishes
 * awaiting confirms, claims of 100) publishes each persistent on a confirm
 * channel and acks it in Postgres after the confirm. Measured: from the
 * relay's start until the queue is empty, and every message counted at a
 * durable queue bound to the exchange. Prefers a private rabbitmq-server node
 * (as the tests start it); else the broker at `fallbackUrl`; else skipped.
 */
export async function rabbitmqRelay(
  postbox: Postbox,
  fallbackUrl: string,
  { backlog }: { backlog: number },
  log: (line: string) => void,
): Promise<RelayBenchResult> {
  let node: RabbitMqNode | null = null;
  let url = fallbackUrl;
  const unavailable = rabbitmqUnavailableReason();
  if (unavailable === null) {
    node = await RabbitMqNode.create();
    log('relay: starting a private rabbitmq-server node');
    await node.start();
    url = node.url;
  } else if (!(await RabbitMqPeer.available(fallbackUrl))) {
    return { skipped: `${unavailable}, and nothing answered on ${fallbackUrl.replace(/\/\/[^@]*@/, '//')}` };
  }
  const broker = node ? 'private rabbitmq-server node' : url.replace(/\/\/[^@]*@/, '//');
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    await channel.assertExchange(EXCHANGE, 'fanout', { durable: true });
    await channel.assertQueue(SINK, { durable: true });
    await channel.purgeQueue(SINK);
    await channel.bindQueue(SINK, EXCHANGE, '');

    await postbox.deleteQueue(QUEUE).catch(() => {});
    await postbox.createQueue(QUEUE);
    for (let i = 0; i < backlog; i += 1000) {
      const n = Math.min(1000, backlog - i);
      await postbox.sendBatch(
        QUEUE,
        Array.from({ length: n }, (_, j) => ({ body: { n: i + j, at: '2026-01-01T00:00:00Z' }, headers: { k: 'v' } })),
      );
    }

    const started = now();
    const relay = await startRelay(postbox, { queue: QUEUE, url, exchange: EXCHANGE, routingKey: 'bench' });
    for (;;) {
      const s = await postbox.getQueueStats(QUEUE);
      if (s.ready + s.delayed + s.inFlight === 0) break;
      await sleep(5);
    }
    const seconds = (now() - started) / 1000;
    await relay.stop();
    const arrived = (await channel.checkQueue(SINK)).messageCount;
    await channel.deleteQueue(SINK);
    await channel.deleteExchange(EXCHANGE);
    await postbox.deleteQueue(QUEUE);
    return {
      broker,
      backlog,
      seconds,
      messagesPerSecond: backlog / seconds,
      arrived,
      published: relay.stats.published,
      connects: relay.stats.connects,
    };
  } finally {
    await connection.close().catch(() => {});
    await node?.dispose();
  }
}
