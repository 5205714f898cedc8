import type { Kysely, Transaction } from 'kysely';
import type { ClientConfig } from 'pg';
import { type MaintainArchiveOptions, maintainArchive } from './archive/maintain-archive';
import { replayQueue } from './archive/replay-queue';
import { Consumer } from './consumer/consumer';
import type { ConsumeOptions, MessageHandler } from './consumer/consumer-options';
import { type ConnectOptions, connect } from './database/connect';
import { asKysely, type Executor } from './database/database';
import { runMigrations } from './database/run-migrations';
import { DEFAULT_SCHEMA, tablesFor } from './database/tables';
import { type CheckbackAllow, checkbackPolicy } from './half-messages/checkback-destination';
import {
  CheckbackRunner,
  type CheckbackRunnerOptions,
  type TransactionChecker,
} from './half-messages/checkback-runner';
import { commitTransaction } from './half-messages/commit';
import { getTransaction } from './half-messages/get-transaction';
import { type PrepareOptions, prepareTransaction } from './half-messages/prepare';
import { type PurgeOptions, purgeResolvedTransactions } from './half-messages/purge-resolved-transactions';
import { rollbackTransaction } from './half-messages/rollback';
import type { TransactionTarget } from './half-messages/transaction';
import { type PruneInboxOptions, pruneInbox } from './inbox/prune-inbox';
import { Maintenance, type MaintenanceOptions } from './maintenance/maintenance';
import { ack } from './messages/ack';
import { cancelByDedupKey } from './messages/cancel-by-dedup-key';
import { type ClaimOptions, claim } from './messages/claim';
import { type DeleteMessageOptions, deleteMessage } from './messages/delete-message';
import { extend } from './messages/extend';
import { GroupCommitSender } from './messages/group-commit-sender';
import type { ExplicitBody, OutgoingMessage, ReceivedMessage } from './messages/message';
import { type NackItem, nack } from './messages/nack';
import { type MessageState, peek } from './messages/peek';
import { ReceiveWaiters } from './messages/receive-waiters';
import { redrive } from './messages/redrive';
import { release } from './messages/release';
import { type SendResult, send, sendBatch } from './messages/send';
import { tailMessages } from './messages/tail-messages';
import { MetricsTap } from './metrics/metrics-tap';
import type { PostboxMetrics } from './metrics/postbox-metrics';
import { createQueue } from './queues/create-queue';
import { deleteQueue } from './queues/delete-queue';
import { getProtocolAttributes } from './queues/get-protocol-attributes';
import { getQueue } from './queues/get-queue';
import { pauseQueue } from './queues/pause-queue';
import { type PurgeOptions as PurgeQueueOptions, type PurgeState, purgeQueue } from './queues/purge-queue';
import type { QueueOptions } from './queues/queue-settings';
import { getQueueStats, listQueues } from './queues/queue-stats';
import { resumeQueue } from './queues/resume-queue';
import { setProtocolAttributes } from './queues/set-protocol-attributes';
import { updateQueue } from './queues/update-queue';
import type { RelayOptions } from './relay/relay-options';
import { type Relay, startRelay } from './relay/start-relay';
import { createSchedule } from './schedules/create-schedule';
import { deleteSchedule } from './schedules/delete-schedule';
import { getSchedule, listSchedules } from './schedules/list-schedules';
import { pauseSchedule, resumeSchedule } from './schedules/pause-schedule';
import type { ScheduleInput } from './schedules/schedule';
import { type ListTasksOptions, listTasks } from './tasks/list-tasks';
import { type MoveOptions, startMoveTask } from './tasks/start-move-task';
import { getTask } from './tasks/task';
import { createTopic } from './topics/create-topic';
import { deleteTopic } from './topics/delete-topic';
import { getTopic, listTopics } from './topics/list-topics';
import { setGroupPaused } from './topics/pause-group';
import { publish, publishBatch } from './topics/publish';
import { type ReplayOptions, replayTopic } from './topics/replay-topic';
import { type SubscribeOptions, subscribe, unsubscribe } from './topics/subscribe';
import type { PublishedMessage, TopicOptions } from './topics/topic-settings';
import { CommitWatcher } from './wakeups/commit-watcher';
import { WakeupListener } from './wakeups/wakeup-listener';
import { WakeupNotifier } from './wakeups/wakeup-notifier';

export interface PostboxOptions extends ConnectOptions {
  /** An existing Kysely instance (the app's own); Postbox issues its statements through it. */
  db?: Executor;
  /** Postgres schema holding Postbox's tables. Default "postbox". */
  schema?: string;
  /** Apply migrations on create (needs connectionString). Default false. */
  migrate?: boolean;
  /** Where errors from background work (listener, consumers, maintenance) go. */
  onError?: (error: unknown) => void;
  /**
   * Housekeeping (maintenance/maintenance.ts): expired dedup keys, old
   * exactly-once inbox rows, resolved half messages, archive partitions.
   * On by default in every process; each sweep is advisory-locked, so any
   * number of processes share the work. `false` turns it off (then run
   * `postbox.maintenance.runOnce()` from a job of your own).
   */
  maintenance?: boolean | MaintenanceOptions;
  /**
   * Internal destinations a checkbackUrl may name: host names, IPs, CIDRs
   * (comma-separated or a list). Loopback, private, link-local (metadata)
   * and other non-public addresses are refused otherwise, at prepare and at
   * every call. See half-messages/checkback-destination.ts.
   */
  checkbackAllow?: CheckbackAllow;
  /** Counters and histograms of what this process did (metrics/postbox-metrics.ts); e.g. prometheusMetrics(registry). */
  metrics?: PostboxMetrics;
}

export interface ReceiveOptions extends ClaimOptions {
  max?: number;
  /** Long poll: wait up to this long for a message (woken by NOTIFY). */
  waitMs?: number;
  signal?: AbortSignal;
}

/**
 * Every write takes the caller's transaction (River's …Tx functions): the
 * write commits with the caller's own, or not at all. The outbox seam.
 */
export interface WriteOptions {
  /** The caller's transaction (Kysely Transaction). */
  trx?: Executor;
}

/** @deprecated WriteOptions: the same, for every write. */
export type SendCallOptions = WriteOptions;

/**
 * The client most code uses: binds one database + schema, owns the process's
 * LISTEN connection, the wake-up notifier and the group-commit sender, and
 * tracks the consumers it started so close() drains them. Each method is a thin call to
 * the one-statement operation of the same name in messages/ or queues/.
 */
export class Postbox {
  /** The Kysely instance Postbox issues its statements through (the app's own when `db` was given). */
  // biome-ignore lint/suspicious/noExplicitAny: any Kysely<DB> of the caller's
  readonly db: Kysely<any>;
  readonly schema: string;
  readonly listener: WakeupListener;
  private readonly notifier: WakeupNotifier;
  private readonly commitWatcher: CommitWatcher;
  private readonly sender: GroupCommitSender;
  private readonly consumers = new Set<Consumer>();
  private readonly relays = new Set<Relay>();
  private readonly waiters: ReceiveWaiters;
  private readonly checkers = new Map<string, TransactionChecker>();
  private checkbackRunner: CheckbackRunner | null = null;
  private checkbackPolicy = checkbackPolicy();
  private tap = new MetricsTap();
  private readonly closeConnection: () => Promise<void>;
  private closed = false;
  /** Housekeeping for this schema; started by create() unless `maintenance: false`. */
  readonly maintenance: Maintenance;

  private constructor(
    db: Executor,
    schema: string,
    listenerConfig: { connectionString?: string; clientConfig?: ClientConfig },
    closeConnection: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    maintenance: boolean | MaintenanceOptions,
  ) {
    this.db = asKysely(db);
    this.schema = schema;
    this.closeConnection = closeConnection;
    this.notifier = new WakeupNotifier(db, schema, onError);
    this.commitWatcher = new CommitWatcher(db, this.notifier.wakeup, onError);
    this.sender = new GroupCommitSender(db, this.notifier, schema);
    this.listener = new WakeupListener({ ...listenerConfig, channel: tablesFor(schema).wakeupChannel, onError });
    this.maintenance = new Maintenance(
      db,
      schema,
      typeof maintenance === 'object' ? maintenance : {},
      onError,
      (pass) => {
        // Expiry met by a claim happens inside its SQL and is not counted; maintenance's sweep is.
        for (const [queue, n] of pass.byQueue ?? []) this.tap.metrics?.expired?.(queue, n);
      },
    );
    if (maintenance !== false) this.maintenance.start();
    this.waiters = new ReceiveWaiters({
      claim: (queue, max, visibilityTimeoutMs) =>
        claim(db, queue, max, { ...this.opts, visibilityTimeoutMs }).then(this.tap.claimed(queue, performance.now())),
      release: (queue, receipts) => release(db, queue, receipts, this.opts),
      subscribe: (queue, callback) => this.listener.subscribe(queue, callback),
      onError,
    });
  }

  static async create(options: PostboxOptions): Promise<Postbox> {
    // Parsed first: a bad allow list fails before any connection is opened.
    const policy = checkbackPolicy(options.checkbackAllow);
    const postbox = await Postbox.open(options);
    postbox.checkbackPolicy = policy;
    postbox.tap = new MetricsTap(options.metrics);
    options.metrics?.listener?.(postbox.listener);
    return postbox;
  }

  private static async open(options: PostboxOptions): Promise<Postbox> {
    const schema = options.schema ?? DEFAULT_SCHEMA;
    const onError = options.onError ?? (() => {});
    if (options.migrate) {
      if (!options.connectionString) throw new Error('migrate: true needs a connectionString');
      await runMigrations({ connectionString: options.connectionString, schema });
    }
    if (options.db) {
      const listenerConfig = options.connectionString
        ? { connectionString: options.connectionString }
        : { clientConfig: options.pool?.options };
      if (!listenerConfig.connectionString && !listenerConfig.clientConfig) {
        throw new Error('with an existing db, pass connectionString or pool too (for the LISTEN connection)');
      }
      return new Postbox(options.db, schema, listenerConfig, async () => {}, onError, options.maintenance ?? true);
    }
    const connection = connect(options);
    const listenerConfig = options.connectionString
      ? { connectionString: options.connectionString }
      : { clientConfig: connection.pool.options };
    return new Postbox(
      connection.db,
      schema,
      listenerConfig,
      () => connection.close(),
      onError,
      options.maintenance ?? true,
    );
  }

  private get opts() {
    return { schema: this.schema };
  }

  /**
   * Runs `work` in one database transaction on Postbox's executor: pass the
   * `trx` to send() and to your own writes, and the messages exist if and
   * only if the transaction commits.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the app's own Kysely<DB> types the transaction
  transaction<T>(work: (trx: Transaction<any>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  createQueue(name: string, options: QueueOptions = {}, { trx }: WriteOptions = {}) {
    return createQueue(trx ?? this.db, name, options, this.opts);
  }
  getQueue(name: string) {
    return getQueue(this.db, name, this.opts);
  }
  getQueueStats(name: string) {
    return getQueueStats(this.db, name, this.opts);
  }
  listQueues() {
    return listQueues(this.db, this.opts);
  }
  deleteQueue(name: string, { trx }: WriteOptions = {}) {
    return deleteQueue(trx ?? this.db, name, this.opts);
  }
  /** Changes any subset of a queue's settings in place (docs/queue-controls.md: effect of each). */
  updateQueue(name: string, changes: QueueOptions, { trx }: WriteOptions = {}) {
    return updateQueue(trx ?? this.db, name, changes, this.opts);
  }
  /** A protocol endpoint's own attributes of a queue ("sqs.DelaySeconds", …); one primary-key lookup. */
  getProtocolAttributes(name: string) {
    return getProtocolAttributes(this.db, name, this.opts);
  }
  /** Merges into them in one statement (concurrent sets of different keys both survive); null removes a key. */
  setProtocolAttributes(name: string, changes: Record<string, unknown>, { trx }: WriteOptions = {}) {
    return setProtocolAttributes(trx ?? this.db, name, changes, this.opts);
  }
  /** Receives and consumers get nothing until resumeQueue; sends still land. */
  pauseQueue(name: string, { trx }: WriteOptions = {}) {
    return pauseQueue(trx ?? this.db, name, this.opts);
  }
  /** Undoes pauseQueue and wakes waiting receives and consumers at once. */
  resumeQueue(name: string, { trx }: WriteOptions = {}) {
    return resumeQueue(trx ?? this.db, name, this.opts);
  }

  /**
   * Outside a transaction, concurrent sends to one queue share a statement
   * (group commit: group-commit-sender.ts); inside one, consumers are woken
   * once it commits (commit-watcher.ts).
   */
  send<T = unknown>(queue: string, message: OutgoingMessage<ExplicitBody<T>>, { trx }: WriteOptions = {}) {
    if (!trx) return this.sender.send(queue, message).then(this.tap.sentOne(queue));
    const wake = { notifier: this.notifier, commitWatcher: this.commitWatcher };
    return send(trx, queue, message, { ...this.opts, ...wake }).then(this.tap.sentOne(queue));
  }
  sendBatch<T = unknown>(
    queue: string,
    messages: readonly OutgoingMessage<ExplicitBody<T>>[],
    { trx }: WriteOptions = {},
  ): Promise<SendResult> {
    const wake = { notifier: this.notifier, commitWatcher: this.commitWatcher };
    return sendBatch(trx ?? this.db, queue, messages, { ...this.opts, ...wake }).then(this.tap.sent(queue));
  }

  /**
   * Claims up to `max` messages. With waitMs it long-polls: if nothing is
   * ready it waits in its queue's line, which all waiting receives share
   * (one claim per wake-up or per second per queue: receive-waiters.ts).
   */
  receive(
    queue: string,
    { max = 1, waitMs = 0, signal, visibilityTimeoutMs }: ReceiveOptions = {},
  ): Promise<ReceivedMessage[]> {
    if (this.closed) return claim(this.db, queue, max, { ...this.opts, visibilityTimeoutMs });
    return this.waiters.receive(queue, { max, waitMs, signal, visibilityTimeoutMs });
  }
  /** True when a long poll on `queue` would wait in line at once: others wait on it and its last claim found nothing. */
  receiveWouldWait(queue: string): boolean {
    return !this.closed && this.waiters.wouldWait(queue);
  }

  /** With `trx`, the ack commits with the caller's own writes (River's CompleteTx): effects and ack, or neither. */
  ack(queue: string, receipts: readonly string[], { trx }: WriteOptions = {}) {
    return ack(trx ?? this.db, queue, receipts, this.opts).then(this.tap.acked(queue));
  }
  nack(queue: string, items: readonly NackItem[], { trx }: WriteOptions = {}) {
    return nack(trx ?? this.db, queue, items, this.opts).then(this.tap.nacked(queue));
  }
  extend(queue: string, receipts: readonly string[], visibilityTimeoutMs: number, { trx }: WriteOptions = {}) {
    return extend(trx ?? this.db, queue, receipts, visibilityTimeoutMs, this.opts);
  }
  release(queue: string, receipts: readonly string[], { trx }: WriteOptions = {}) {
    return release(trx ?? this.db, queue, receipts, this.opts);
  }
  peek(queue: string, state: MessageState, limit?: number) {
    return peek(this.db, queue, state, limit, this.opts);
  }
  /** Messages enqueued after `afterId` (default: the newest `limit`), any state, claiming nothing: `postbox tail`. */
  tail(queue: string, afterId?: string, limit?: number) {
    return tailMessages(this.db, queue, afterId, limit, this.opts);
  }
  redrive(queue: string, ids?: readonly string[], { trx }: WriteOptions = {}) {
    return redrive(trx ?? this.db, queue, ids, { ...this.opts, wakeup: this.notifier.wakeup });
  }

  // Half messages (half-messages/): prepare → commit | rollback, with check-back.

  /** Stores a half message, invisible to consumers until commitTransaction; returns its transaction id. */
  async prepare(
    target: TransactionTarget,
    message: OutgoingMessage & { tag?: string },
    options: Omit<PrepareOptions, 'schema'> = {},
  ): Promise<string> {
    const allow = { checkbackAllow: this.checkbackPolicy };
    const prepared = await prepareTransaction(this.db, target, message, { ...allow, ...options, ...this.opts });
    return this.tap.transaction('prepared')(prepared.transactionId);
  }
  /** Sends the half message (exactly once; repeating is a no-op). ConflictError after a rollback or expiry. */
  commitTransaction(transactionId: string, { trx }: WriteOptions = {}) {
    return commitTransaction(trx ?? this.db, transactionId, this.opts).then(this.tap.transaction('committed'));
  }
  /** Discards the half message (repeating is a no-op). ConflictError after a commit. */
  rollbackTransaction(transactionId: string, { trx }: WriteOptions = {}) {
    return rollbackTransaction(trx ?? this.db, transactionId, this.opts).then(this.tap.transaction('rolledBack'));
  }
  getTransaction(transactionId: string) {
    return getTransaction(this.db, transactionId, this.opts);
  }
  /**
   * The in-process check-back for half messages to `queueOrTopic` prepared
   * without a checkbackUrl, used by this process's check-back runner. Returns
   * a function that unregisters it.
   */
  registerChecker(queueOrTopic: string, checker: TransactionChecker): () => void {
    this.checkers.set(queueOrTopic, checker);
    return () => {
      if (this.checkers.get(queueOrTopic) === checker) this.checkers.delete(queueOrTopic);
    };
  }
  /** Starts this process's check-back runner (one per Postbox; again after runner.stop() restarts it); close() stops it. */
  startCheckbackRunner(options: Omit<CheckbackRunnerOptions, 'db' | 'schema' | 'checkerFor'> = {}): CheckbackRunner {
    if (this.closed) throw new Error('Postbox is closed');
    this.checkbackRunner ??= new CheckbackRunner({
      onError: (error) => this.onError(error),
      checkbackAllow: this.checkbackPolicy,
      ...options,
      onCheck: (event) => {
        this.tap.checkback(event.outcome);
        options.onCheck?.(event);
      },
      db: this.db,
      schema: this.schema,
      checkerFor: (target) => this.checkers.get(target),
    });
    return this.checkbackRunner.start();
  }
  /** Deletes exactly-once inbox rows older than the retention (default 7 days). */
  pruneInbox(options: Omit<PruneInboxOptions, 'schema'> = {}) {
    return pruneInbox(this.db, { ...options, ...this.opts });
  }
  /** Deletes resolved half messages older than the retention (default 7 days). */
  purgeResolvedTransactions(options: Omit<PurgeOptions, 'schema'> = {}) {
    return purgeResolvedTransactions(this.db, { ...options, ...this.opts });
  }

  // Pub/sub (topics/): a topic fans out to consumer groups, each backed by a queue.

  createTopic(name: string, options: TopicOptions = {}, { trx }: WriteOptions = {}) {
    return createTopic(trx ?? this.db, name, options, this.opts);
  }
  getTopic(name: string) {
    return getTopic(this.db, name, this.opts);
  }
  listTopics() {
    return listTopics(this.db, this.opts);
  }
  deleteTopic(name: string, { trx }: WriteOptions = {}) {
    return deleteTopic(trx ?? this.db, name, this.opts);
  }
  /** Subscribes consumer group `group`; consume its messages from the returned queue (default `<topic>.<group>`). */
  subscribe(topic: string, group: string, options: SubscribeOptions = {}, { trx }: WriteOptions = {}) {
    return subscribe(trx ?? this.db, topic, group, options, this.opts);
  }
  unsubscribe(topic: string, group: string, { trx }: WriteOptions = {}) {
    return unsubscribe(trx ?? this.db, topic, group, this.opts);
  }
  /** Pauses one consumer group alone (its queue); the topic's other groups go on. */
  pauseGroup(topic: string, group: string) {
    return setGroupPaused(this.db, topic, group, true, this.opts);
  }
  resumeGroup(topic: string, group: string) {
    return setGroupPaused(this.db, topic, group, false, this.opts);
  }
  /** One statement however many groups; pass `trx` for the outbox. */
  publish(topic: string, message: PublishedMessage, { trx }: WriteOptions = {}) {
    return publish(trx ?? this.db, topic, message, { ...this.opts, wakeup: this.notifier.wakeup });
  }
  publishBatch(topic: string, messages: readonly PublishedMessage[], { trx }: WriteOptions = {}) {
    return publishBatch(trx ?? this.db, topic, messages, { ...this.opts, wakeup: this.notifier.wakeup });
  }
  /**
   * replay(topic, group, { from }): the group gets again every retained message published at or after `from`.
   * replay(queue, { from }): the queue gets again every archived (acked, retained) message enqueued since `from`.
   */
  replay(topic: string, group: string, options: ReplayOptions): Promise<{ replayed: number }>;
  replay(queue: string, options: ReplayOptions): Promise<{ replayed: number }>;
  replay(name: string, groupOrOptions: string | ReplayOptions, options?: ReplayOptions) {
    const call = { ...this.opts, wakeup: this.notifier.wakeup };
    return typeof groupOrOptions === 'string'
      ? replayTopic(this.db, name, groupOrOptions, options as ReplayOptions, call)
      : replayQueue(this.db, name, groupOrOptions, call);
  }
  /** Creates upcoming archive partitions and drops expired ones; run every few minutes. */
  maintainArchive(options: Omit<MaintainArchiveOptions, 'schema'> = {}) {
    return maintainArchive(this.db, { ...options, ...this.opts });
  }

  /** Starts a consumer; close() (or consumer.stop()) drains it. */
  async consume<T = unknown>(
    queue: string,
    handler: MessageHandler<T>,
    options: ConsumeOptions<T> = {},
  ): Promise<Consumer> {
    if (this.closed) throw new Error('Postbox is closed');
    // With a bodySchema the handler only ever sees checked bodies (consumer/check-body.ts);
    // without one, T is the caller's claim about what the queue holds.
    const consumer = new Consumer(
      { db: this.db, schema: this.schema, listener: this.listener, metrics: this.tap.metrics },
      queue,
      handler as MessageHandler,
      { onError: (error) => this.onError(error), ...(options as ConsumeOptions) },
    );
    await this.listener.start();
    await consumer.start();
    this.consumers.add(consumer);
    return consumer;
  }

  /**
   * Relays a queue (or a topic group) to a RabbitMQ exchange with publisher
   * confirms (relay/start-relay.ts); needs `npm install amqplib`. close() stops it.
   */
  async relay(options: RelayOptions): Promise<Relay> {
    if (this.closed) throw new Error('Postbox is closed');
    const relay = await startRelay(this, options);
    this.relays.add(relay);
    const stop = relay.stop.bind(relay);
    relay.stop = (stopOptions) => {
      this.relays.delete(relay);
      return stop(stopOptions);
    };
    return relay;
  }

  // Operating a queue (issue 13): purge, delete one message, cancel by dedupKey, move dead letters back.

  /** Deletes the queue's messages in these states (never in-flight ones) in committed batches; returns the count. */
  purgeQueue(queue: string, states: readonly PurgeState[], options: Omit<PurgeQueueOptions, 'schema'> = {}) {
    return purgeQueue(this.db, queue, states, { ...options, ...this.opts });
  }
  /** Deletes one message (or dead letter) by id; ConflictError while in flight unless `force`. */
  deleteMessage(
    queue: string,
    id: string,
    { trx, ...options }: Omit<DeleteMessageOptions, 'schema'> & WriteOptions = {},
  ) {
    return deleteMessage(trx ?? this.db, queue, id, { ...options, ...this.opts });
  }
  /** Cancels the not-yet-delivered message sent with this dedupKey (and releases the key); returns its id(s). */
  cancelByDedupKey(queue: string, dedupKey: string, { trx }: WriteOptions = {}) {
    return cancelByDedupKey(trx ?? this.db, queue, dedupKey, this.opts);
  }
  /**
   * Starts a task moving `queue`'s dead letters back to the queue each came
   * from (or `to`), in batches, and runs it in this process; resumable by any
   * process if this one dies. Progress: getTask(id).
   */
  async moveDeadLetters(queue: string, options: MoveOptions = {}): Promise<string> {
    const taskId = await startMoveTask(this.db, queue, options, this.opts);
    await this.maintenance.tasks.lease(taskId);
    return taskId;
  }
  getTask(taskId: string) {
    return getTask(this.db, taskId, this.opts);
  }
  /** The tasks moving `source`'s dead letters, newest first (SQS ListMessageMoveTasks). */
  listTasks(source: string, options: ListTasksOptions = {}) {
    return listTasks(this.db, source, options, this.opts);
  }

  // Recurring schedules (schedules/): ticks enqueued exactly once by the maintenance of any process.

  createSchedule(name: string, input: ScheduleInput, { trx }: WriteOptions = {}) {
    return createSchedule(trx ?? this.db, name, input, this.opts);
  }
  getSchedule(name: string) {
    return getSchedule(this.db, name, this.opts);
  }
  listSchedules() {
    return listSchedules(this.db, this.opts);
  }
  pauseSchedule(name: string, { trx }: WriteOptions = {}) {
    return pauseSchedule(trx ?? this.db, name, this.opts);
  }
  resumeSchedule(name: string, { trx }: WriteOptions = {}) {
    return resumeSchedule(trx ?? this.db, name, this.opts);
  }
  deleteSchedule(name: string, { trx }: WriteOptions = {}) {
    return deleteSchedule(trx ?? this.db, name, this.opts);
  }

  /** Stops every consumer (graceful), the listener and, if Postbox created it, the pool. */
  async close({ timeoutMs }: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waiters.close();
    await this.checkbackRunner?.stop();
    await this.maintenance.stop();
    await Promise.all([...this.relays].map((relay) => relay.stop({ timeoutMs })));
    await Promise.all([...this.consumers].map((c) => c.stop({ timeoutMs })));
    this.consumers.clear();
    await this.sender.drain();
    await this.commitWatcher.close();
    await this.notifier.flush();
    await this.listener.close();
    await this.closeConnection();
  }
}
