import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { Test } from '@nestjs/testing';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTBOX } from '../../apps/server/src/postbox.provider';
import { RelaysModule } from '../../apps/server/src/relay/relays.module';
import { parseRelayConfigs, RelaysService } from '../../apps/server/src/relay/relays.provider';
import { RabbitMqNode, rabbitmqUnavailableReason } from '../../bench/src/workloads/rabbitmq-node';
import { type Postbox, startRelay } from '../../libs/core/src/index';
import { PostboxClient, PostboxModule } from '../../libs/nestjs/src';
import { type TestDatabase, useTestDatabase } from '../setup/test-database';
import { until } from '../setup/until';

const unavailable = rabbitmqUnavailableReason();
if (unavailable) console.log(`test/relay/rabbitmq-relay.spec.ts skipped: ${unavailable}`);

const fixture = path.join(__dirname, '..', 'fixtures', 'relay-process.ts');

interface Arrived {
  id: string | undefined;
  body: unknown;
  routingKey: string;
  persistent: boolean;
  contentType: string | undefined;
  headers: Record<string, unknown>;
}

/** Declares a durable exchange and a durable queue bound to it with `bindingKey`, emptied. */
async function declareSink(
  url: string,
  exchange: string,
  queue: string,
  { type = 'topic', bindingKey = '#', args = {} }: { type?: string; bindingKey?: string | null; args?: object } = {},
) {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, type, { durable: true });
  if (queue) {
    await channel.assertQueue(queue, { durable: true, arguments: args });
    await channel.purgeQueue(queue);
    if (bindingKey !== null) await channel.bindQueue(queue, exchange, bindingKey);
  }
  await connection.close();
}

/** Takes every message now in the RabbitMQ queue (acking them), in arrival order. */
async function drainSink(url: string, queue: string): Promise<Arrived[]> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  const arrived: Arrived[] = [];
  for (;;) {
    const m = await channel.get(queue, { noAck: true });
    if (m === false) break;
    arrived.push({
      id: m.properties.messageId,
      body: JSON.parse(m.content.toString()),
      routingKey: m.fields.routingKey,
      persistent: m.properties.deliveryMode === 2,
      contentType: m.properties.contentType,
      headers: m.properties.headers ?? {},
    });
  }
  await connection.close();
  return arrived;
}

async function settled(postbox: Postbox, queue: string): Promise<boolean> {
  const s = await postbox.getQueueStats(queue);
  return s.ready + s.delayed + s.inFlight === 0;
}

function startRelayProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = fork(fixture, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`relay process exited early with ${code}`)));
  });
}

describe('POSTBOX_RELAYS', () => {
  it('parses a JSON array of relay configs and names what is wrong', () => {
    expect(parseRelayConfigs({})).toEqual([]);
    const one = { queue: 'orders', url: 'amqp://h', exchange: 'x', routingKey: { header: 'type' } };
    expect(parseRelayConfigs({ POSTBOX_RELAYS: JSON.stringify([one]) })).toEqual([one]);
    expect(() => parseRelayConfigs({ POSTBOX_RELAYS: '{' })).toThrow(/POSTBOX_RELAYS must be a JSON array/);
    expect(() => parseRelayConfigs({ POSTBOX_RELAYS: '{}' })).toThrow(/must be a JSON array/);
    expect(() => parseRelayConfigs({ POSTBOX_RELAYS: '[1]' })).toThrow('POSTBOX_RELAYS[0] must be an object');
    expect(() => parseRelayConfigs({ POSTBOX_RELAYS: JSON.stringify([{ ...one, onError: 1 }]) })).toThrow(
      'POSTBOX_RELAYS[0].onError is not a relay option',
    );
  });
});

describe.skipIf(unavailable !== null)('relay to RabbitMQ (a private rabbitmq-server node)', () => {
  let db: TestDatabase;
  let postbox: Postbox;
  let node: RabbitMqNode;

  beforeAll(async () => {
    db = await useTestDatabase();
    postbox = await db.postbox();
    node = await RabbitMqNode.create();
    await node.start();
  }, 180_000);

  afterAll(async () => {
    await node?.dispose();
  }, 60_000);

  it('publishes persistent JSON with messageId = the Postbox id, headers carried, routing key from a header', async () => {
    await declareSink(node.url, 'props', 'props.sink');
    await postbox.createQueue('props');
    const { ids } = await postbox.sendBatch('props', [
      { body: { n: 1 }, headers: { route: 'orders.created', tenant: 'acme' } },
      { body: 'two', headers: { route: 'orders.paid' } },
      { body: [3] },
    ]);
    const relay = await startRelay(postbox, {
      queue: 'props',
      url: node.url,
      exchange: 'props',
      routingKey: { header: 'route', fallback: 'orders.other' },
    });
    await until(() => settled(postbox, 'props'), { what: 'props relayed' });
    await relay.stop();

    const arrived = await drainSink(node.url, 'props.sink');
    const byId = new Map(arrived.map((a) => [a.id, a]));
    expect(arrived).toHaveLength(3);
    expect(byId.get(ids[0])).toMatchObject({
      body: { n: 1 },
      routingKey: 'orders.created',
      persistent: true,
      contentType: 'application/json',
      headers: { route: 'orders.created', tenant: 'acme', 'x-postbox-queue': 'props' },
    });
    expect(byId.get(ids[1])).toMatchObject({ body: 'two', routingKey: 'orders.paid', persistent: true });
    expect(byId.get(ids[2])).toMatchObject({ body: [3], routingKey: 'orders.other', persistent: true });
    expect(relay.stats).toMatchObject({ confirmed: 3, nacked: 0, returned: 0, connects: 1 });
    // Acked only after the confirm: nothing left, nothing dead.
    expect(await postbox.getQueueStats('props')).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
  });

  it('keeps the order of each FIFO group', async () => {
    await declareSink(node.url, 'fifo', 'fifo.sink');
    await postbox.createQueue('fifo', { fifo: true });
    const groups = ['a', 'b', 'c', 'd'];
    // Interleaved sends: a0 b0 c0 d0 a1 b1 …
    await postbox.sendBatch(
      'fifo',
      Array.from({ length: 400 }, (_, i) => ({
        body: { group: groups[i % 4], seq: Math.floor(i / 4) },
        groupKey: groups[i % 4],
      })),
    );
    // The next message of a group is claimable only after the previous one's ack commits, which sends no
    // wake-up: a short poll keeps 100 rounds per group quick.
    const relay = await startRelay(postbox, {
      queue: 'fifo',
      url: node.url,
      exchange: 'fifo',
      routingKey: 'k',
      pollIntervalMs: 20,
    });
    await until(() => settled(postbox, 'fifo'), { what: 'fifo relayed' });
    await relay.stop();

    const arrived = await drainSink(node.url, 'fifo.sink');
    expect(arrived).toHaveLength(400);
    for (const group of groups) {
      const seqs = arrived
        .map((a) => a.body as { group: string; seq: number })
        .filter((b) => b.group === group)
        .map((b) => b.seq);
      expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i));
    }
    expect(arrived[0]?.headers['x-postbox-group-key']).toBeDefined();
  });

  it('relays a topic group and dead-letters an unroutable message (mandatory + basic.return) with the reason', async () => {
    // A direct exchange with no queue bound for "nowhere": the broker returns the publish.
    await declareSink(node.url, 'nowhere', '', { type: 'direct' });
    await postbox.createTopic('events');
    await postbox.subscribe('events', 'out', { maxAttempts: 2, backoff: { initialMs: 10, maxMs: 20 } });
    const { id } = await postbox.publish('events', { body: { lost: false } });
    const relay = await startRelay(postbox, {
      topic: 'events',
      group: 'out',
      url: node.url,
      exchange: 'nowhere',
      routingKey: 'nowhere',
      pollIntervalMs: 50,
    });
    expect(relay.queue).toBe('events.out');
    await until(async () => (await postbox.getQueueStats('events.out')).dead === 1, { what: 'dead-lettered' });
    await relay.stop();

    const [dead] = await postbox.peek('events.out', 'dead');
    expect(dead?.body).toEqual({ lost: false });
    expect(dead?.headers['x-postbox-topic-message-id'] ?? id).toBeDefined();
    expect(dead?.lastError).toContain('unroutable: NO_ROUTE');
    expect(dead?.lastError).toContain('exchange "nowhere", routing key "nowhere"');
    expect(relay.stats.returned).toBe(2);
    expect(relay.stats.confirmed).toBe(0);
  });

  it('nacks in Postgres what the broker nacks (a full queue with x-overflow reject-publish), then dead-letters it', async () => {
    await declareSink(node.url, 'full', 'full.sink', {
      args: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
    });
    await postbox.createQueue('full', { maxAttempts: 2, backoff: { initialMs: 10, maxMs: 20 } });
    await postbox.sendBatch('full', [{ body: 1 }, { body: 2 }, { body: 3 }]);
    const relay = await startRelay(postbox, {
      queue: 'full',
      url: node.url,
      exchange: 'full',
      routingKey: 'k',
      pollIntervalMs: 50,
    });
    await until(() => settled(postbox, 'full'), { what: 'full settled' });
    await relay.stop();

    const stats = await postbox.getQueueStats('full');
    expect(stats.dead).toBe(2);
    const dead = await postbox.peek('full', 'dead');
    for (const d of dead) expect(d.lastError).toContain('broker nacked the publish to exchange "full"');
    const arrived = await drainSink(node.url, 'full.sink');
    expect(arrived).toHaveLength(1);
    expect(relay.stats).toMatchObject({ confirmed: 1, nacked: 4 });
  });

  it('fails with a clear error for an unknown topic group', async () => {
    await postbox.createTopic('lonely');
    await expect(
      startRelay(postbox, { topic: 'lonely', group: 'none', url: node.url, exchange: 'x', routingKey: 'k' }),
    ).rejects.toThrow(/none/);
    await expect(
      startRelay(postbox, { queue: 'q', topic: 't', group: 'g', url: node.url, exchange: 'x', routingKey: 'k' }),
    ).rejects.toThrow(/either queue, or topic and group/);
  });

  it('the server starts the POSTBOX_RELAYS relays on bootstrap and stops them on close', async () => {
    await declareSink(node.url, 'served', 'served.sink');
    await postbox.createQueue('served');
    const { ids } = await postbox.sendBatch('served', [{ body: 'a' }, { body: 'b' }]);
    process.env.POSTBOX_RELAYS = JSON.stringify([
      { queue: 'served', url: node.url, exchange: 'served', routingKey: 'k' },
    ]);
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [
          RelaysModule,
          {
            module: class PostboxForRelaysTest {},
            global: true,
            providers: [{ provide: POSTBOX, useValue: postbox }],
            exports: [POSTBOX],
          },
        ],
      }).compile();
      const app = await moduleRef.init();
      const [relay] = moduleRef.get(RelaysService).running;
      await until(() => settled(postbox, 'served'), { what: 'served relayed' });
      await app.close();
      expect(relay?.stats.confirmed).toBe(2);
      expect(moduleRef.get(RelaysService).running).toHaveLength(0);
    } finally {
      delete process.env.POSTBOX_RELAYS;
    }
    const arrived = await drainSink(node.url, 'served.sink');
    expect(arrived.map((a) => a.id).sort()).toEqual([...ids].sort());
  });

  it('PostboxModule.forRoot({ relays }) starts the relays at bootstrap and app.close() stops them', async () => {
    await declareSink(node.url, 'nest-relayed', 'nest-relayed.sink');
    const moduleRef = await Test.createTestingModule({
      imports: [
        PostboxModule.forRoot({
          connectionString: db.url,
          maintenance: false,
          queues: [{ name: 'nest-relayed' }],
          relays: [{ queue: 'nest-relayed', url: node.url, exchange: 'nest-relayed', routingKey: 'k' }],
        }),
      ],
    }).compile();
    const app = await moduleRef.init();
    const { ids } = await app.get(PostboxClient).sendBatch('nest-relayed', [{ body: 1 }, { body: 2 }, { body: 3 }]);
    await until(() => settled(postbox, 'nest-relayed'), { what: 'nest-relayed relayed' });
    await app.close();
    const arrived = await drainSink(node.url, 'nest-relayed.sink');
    expect(arrived.map((a) => a.id).sort()).toEqual([...ids].sort());
  });

  it('stopped while the broker is down: waiting messages go back to the queue with no attempt used', async () => {
    await declareSink(node.url, 'waiting', 'waiting.sink');
    await postbox.createQueue('waiting');
    await postbox.sendBatch('waiting', [{ body: 1 }, { body: 2 }, { body: 3 }]);
    await node.stop();
    try {
      const relay = await startRelay(postbox, {
        queue: 'waiting',
        url: node.url,
        exchange: 'waiting',
        routingKey: 'k',
      });
      await until(async () => (await postbox.getQueueStats('waiting')).inFlight === 3, { what: 'claimed' });
      await relay.stop();
      expect(relay.stats).toMatchObject({ released: 3, confirmed: 0, connects: 0 });
      const ready = await postbox.peek('waiting', 'ready');
      expect(ready.map((m) => m.attempts)).toEqual([0, 0, 0]);
    } finally {
      await node.start();
    }
    expect(await drainSink(node.url, 'waiting.sink')).toEqual([]);
  });

  it('relays 10,000 messages through a broker restart and a SIGKILLed relay: 0 lost, duplicates counted', async () => {
    const total = 10_000;
    await declareSink(node.url, 'outbox', 'outbox.sink');
    await postbox.createQueue('outbox', { visibilityTimeoutMs: 2_000, maxAttempts: 1000 });
    const ids: string[] = [];
    for (let i = 0; i < total; i += 1000) {
      const batch = Array.from({ length: 1000 }, (_, j) => ({ body: { n: i + j } }));
      ids.push(...(await postbox.sendBatch('outbox', batch)).ids);
    }
    const env = {
      DATABASE_URL: db.url,
      QUEUE: 'outbox',
      AMQP_URL: node.url,
      EXCHANGE: 'outbox',
      VISIBILITY_MS: '2000',
      RELAY_CONCURRENCY: '10',
    };
    const left = async () => {
      const s = await postbox.getQueueStats('outbox');
      return s.ready + s.delayed + s.inFlight;
    };

    const children: ChildProcess[] = [];
    let leftWhileDown = 0;
    let leftAtKill = 0;
    try {
      const first = await startRelayProcess(env);
      children.push(first);
      await until(async () => (await left()) < total, { what: 'relaying started', timeoutMs: 60_000 });
      // Broker restart mid-stream: publishes awaiting confirms lose their channel and wait for the next one.
      await node.stop();
      leftWhileDown = await left();
      await node.start();
      // Resumed means new publishes reach the restarted broker (not merely late acks of earlier confirms).
      const monitor = await amqp.connect(node.url);
      try {
        const channel = await monitor.createChannel();
        const atRestart = (await channel.checkQueue('outbox.sink')).messageCount;
        await until(async () => (await channel.checkQueue('outbox.sink')).messageCount >= atRestart + 300, {
          what: 'relaying resumed after the broker restart',
          timeoutMs: 120_000,
        });
      } finally {
        await monitor.close();
      }
      // Relay crash mid-stream: what it published but had not acked comes back after the lease.
      first.kill('SIGKILL');
      await new Promise((resolve) => first.once('exit', resolve));
      leftAtKill = await left();
      const second = await startRelayProcess(env);
      children.push(second);
      await until(async () => (await left()) === 0, { what: 'all relayed', timeoutMs: 240_000 });
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // Both faults hit while messages were still waiting: the scenario ran mid-stream.
    expect(leftWhileDown).toBeGreaterThan(0);
    expect(leftAtKill).toBeGreaterThan(0);

    const arrived = await drainSink(node.url, 'outbox.sink');
    const unique = new Set(arrived.map((a) => a.id));
    const lost = ids.filter((id) => !unique.has(id));
    const duplicates = arrived.length - unique.size;
    console.log(
      `relay fault run: ${total} sent, ${arrived.length} arrived, ${unique.size} unique, ${lost.length} lost, ` +
        `${duplicates} duplicates (left at broker stop ${leftWhileDown}, at relay kill ${leftAtKill})`,
    );
    expect(lost).toEqual([]);
    expect(unique.size).toBe(total);
    expect(arrived.every((a) => a.persistent)).toBe(true);
    // Every duplicate is a republish of a message whose confirm or ack was lost; none is a stranger.
    expect([...unique].every((id) => id !== undefined)).toBe(true);
    expect(await postbox.getQueueStats('outbox')).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
  }, 600_000);
});
