import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import {
  type CheckAnswer,
  type CheckbackRunner,
  type ConsumeOptions,
  type Consumer,
  describeError,
  type MessageHandler,
  Postbox,
} from 'postbox';
import { ensureQueue, ensureTopic } from './declare-resources';
import { ensureSchedule } from './declare-schedules';
import {
  QUEUE_HANDLER_METADATA,
  type QueueHandlerMetadata,
  type QueueHandlerOptions,
  TOPIC_HANDLER_METADATA,
  type TopicHandlerMetadata,
  TRANSACTION_CHECKER_METADATA,
  type TransactionCheckerMetadata,
} from './handler-metadata';
import { POSTBOX_MODULE_OPTIONS } from './postbox.module-definition';
import type { PostboxModuleOptions } from './postbox-module-options';

/** One decorated method found at bootstrap. */
interface Discovered<M> {
  metadata: M;
  /** "<Class>.<method>", for logs and default consumer names. */
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: a provider method of any signature
  call: (...args: any[]) => unknown;
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;

/**
 * Finds @QueueHandler / @TopicHandler / @TransactionChecker methods on the
 * app's providers (DiscoveryService), starts their consumers at application
 * bootstrap and drains them on shutdown. Everything it holds lives on this instance, so
 * every Nest application (or TestingModule) in a process has its own.
 *
 * Shutdown (app.close(), or SIGTERM with enableShutdownHooks):
 *  1. beforeApplicationShutdown: the check-back runner stops; every consumer
 *     stops claiming, releases the messages it buffered but never started
 *     (ready again at once), waits for
 *     running handlers and flushes their acks/nacks. Handlers still running
 *     after shutdownTimeoutMs see their signal abort and are left to their
 *     lease: delivered again later, never lost.
 *  2. onApplicationShutdown: Postbox closes its LISTEN connection and, if it
 *     opened it, its pool. A pool or Kysely instance passed in stays open.
 */
@Injectable()
export class PostboxExplorer implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Postbox');
  private readonly consumers: { name: string; consumer: Consumer }[] = [];
  private checkbackRunner: CheckbackRunner | null = null;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly client: Postbox,
    @Inject(POSTBOX_MODULE_OPTIONS) private readonly options: PostboxModuleOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      for (const { name, ...settings } of this.options.queues ?? []) await ensureQueue(this.client, name, settings);
      for (const { name, ...settings } of this.options.topics ?? []) await ensureTopic(this.client, name, settings);
      for (const schedule of this.options.schedules ?? []) await ensureSchedule(this.client, schedule);
      if (this.options.startHandlers === false) return;
      for (const handler of this.find<QueueHandlerMetadata>(QUEUE_HANDLER_METADATA)) {
        await this.startQueueHandler(handler);
      }
      for (const handler of this.find<TopicHandlerMetadata>(TOPIC_HANDLER_METADATA)) {
        await this.startTopicHandler(handler);
      }
      this.registerCheckers(this.find<TransactionCheckerMetadata>(TRANSACTION_CHECKER_METADATA));
      // Relays to RabbitMQ (needs amqplib): stopped by Postbox.close() at shutdown.
      for (const relay of this.options.relays ?? []) await this.client.relay(relay);
    } catch (error) {
      // A failed bootstrap gets no shutdown hooks: close what was opened here.
      await this.stopConsumers();
      await this.client.close({ timeoutMs: 0 });
      throw error;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stopConsumers();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close({ timeoutMs: this.shutdownTimeoutMs });
  }

  /** The running handler consumers, for tests and health checks. */
  get runningConsumers(): readonly { name: string; consumer: Consumer }[] {
    return this.consumers;
  }

  private get shutdownTimeoutMs(): number {
    return this.options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  }

  private async stopConsumers(): Promise<void> {
    // Checkers are app code too: stop asking them while the app is still whole.
    await this.checkbackRunner?.stop();
    this.checkbackRunner = null;
    const consumers = this.consumers.splice(0);
    if (consumers.length === 0) return;
    const started = Date.now();
    await Promise.all(consumers.map(({ consumer }) => consumer.stop({ timeoutMs: this.shutdownTimeoutMs })));
    const acked = consumers.reduce((sum, { consumer }) => sum + consumer.stats.acked, 0);
    this.logger.log(`drained ${consumers.length} consumer(s) in ${Date.now() - started} ms (${acked} acked in total)`);
  }

  private async startQueueHandler({ metadata, name, call }: Discovered<QueueHandlerMetadata>): Promise<void> {
    const { queue, options } = metadata;
    try {
      await this.consume(queue, name, call, options);
    } catch (error) {
      throw new Error(`@QueueHandler('${queue}') on ${name} could not start: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.logger.log(`${name} consumes "${queue}"`);
  }

  private async startTopicHandler({ metadata, name, call }: Discovered<TopicHandlerMetadata>): Promise<void> {
    const { topic, group, options } = metadata;
    const { tags, subscription, ...consumerOptions } = options;
    let queue: string;
    try {
      queue = (await this.client.subscribe(topic, group, { ...subscription, tags })).subscription.queue;
      await this.consume(queue, name, call, consumerOptions);
    } catch (error) {
      throw new Error(`@TopicHandler('${topic}', '${group}') on ${name} could not start: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.logger.log(`${name} consumes topic "${topic}" as group "${group}" (queue "${queue}")`);
  }

  private async consume(
    queue: string,
    name: string,
    call: Discovered<unknown>['call'],
    options: QueueHandlerOptions,
  ): Promise<void> {
    const handler: MessageHandler = (message, context) => call(message, context);
    const consumer = await this.client.consume(queue, handler, this.consumeOptions(name, options));
    this.consumers.push({ name, consumer });
  }

  private consumeOptions(name: string, options: QueueHandlerOptions): ConsumeOptions {
    const { exactlyOnce, ...settings } = options;
    return {
      ...this.options.consumerDefaults,
      ...settings,
      exactlyOnce: exactlyOnce === true ? { consumer: name } : exactlyOnce || undefined,
      // Handler errors are already recorded on the message by the nack; log them too.
      onError: (error, { queue, messageId }) => {
        const where = messageId ? `message ${messageId} of "${queue}"` : `"${queue}"`;
        this.logger.warn(`${name} failed on ${where}: ${firstLine(error)}`);
      },
    };
  }

  /**
   * Registers the check-backs and starts this process's check-back runner,
   * only when the app has checkers: a runner claims every due transaction, so
   * a process without the checker for a target would spend its checks.
   */
  private registerCheckers(checkers: Discovered<TransactionCheckerMetadata>[]): void {
    const seen = new Map<string, string>();
    for (const { metadata, name, call } of checkers) {
      const other = seen.get(metadata.queueOrTopic);
      if (other) throw new Error(`@TransactionChecker('${metadata.queueOrTopic}') is on both ${other} and ${name}`);
      seen.set(metadata.queueOrTopic, name);
      this.client.registerChecker(metadata.queueOrTopic, (transaction) => call(transaction) as CheckAnswer);
    }
    if (checkers.length === 0) return;
    this.checkbackRunner = this.client.startCheckbackRunner({
      ...this.options.checkback,
      onError: (error) => this.logger.warn(`check-back failed: ${firstLine(error)}`),
      onCheck: (event) => {
        if (event.outcome === 'committed' || event.outcome === 'rolledBack' || event.outcome === 'expired') {
          this.logger.log(`transaction ${event.transactionId} ${event.outcome} by check-back ${event.check}`);
        }
      },
    });
    this.logger.log(`check-back for ${[...seen].map(([target, name]) => `"${target}" → ${name}`).join(', ')}`);
  }

  /** Every provider method carrying `key`, bound to its (singleton) instance. */
  private find<M>(key: string): Discovered<M>[] {
    const found: Discovered<M>[] = [];
    for (const wrapper of this.discovery.getProviders() as InstanceWrapper[]) {
      const { instance } = wrapper;
      const isObject = instance !== null && typeof instance === 'object';
      // Request-scoped providers have no instance at bootstrap: look at their class.
      const prototype = isObject
        ? Object.getPrototypeOf(instance)
        : (wrapper.metatype?.prototype as object | undefined);
      if (!prototype) continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const target = (prototype as Record<string, unknown>)[method];
        if (typeof target !== 'function') continue;
        const metadata = this.reflector.get<M | undefined>(key, target);
        if (!metadata) continue;
        const name = `${prototype.constructor.name}.${method}`;
        if (!isObject || !wrapper.isDependencyTreeStatic()) {
          throw new Error(
            `${name}: Postbox handlers must live on singleton providers, not request-scoped or transient ones`,
          );
        }
        found.push({ metadata, name, call: (...args) => target.apply(instance, args) });
      }
    }
    return found;
  }
}

function firstLine(error: unknown): string {
  return describeError(error).split('\n')[0] ?? '';
}
