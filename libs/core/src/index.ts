/**
 * Postbox's public API. What is exported here is supported and documented;
 * everything else in src/ is internal and may change in any release.
 *
 * Most code uses the `Postbox` class. The functions below it take an
 * executor first (a Kysely instance or a Kysely transaction): pass your own
 * transaction and the message exists if and only if your transaction commits.
 */

export type { Consumer } from './consumer/consumer';
export type { ConsumeOptions, HandlerContext, MessageHandler } from './consumer/consumer-options';
// Database: connection, schema, migrations
export type { Executor } from './database/database';
export { migrationsSql } from './database/migrations-sql';
export { ping } from './database/ping';
export { isMessageId, parseReceipt } from './database/receipt';
export { type MigrateOptions, runMigrations } from './database/run-migrations';
export { DEFAULT_SCHEMA } from './database/tables';
// Errors
// Operating a queue (docs/queue-controls.md)
export {
  ConflictError,
  describeError,
  InvalidInputError,
  MessageTooLargeError,
  NotFoundError,
  PostboxError,
  QueueFullError,
  QueueNotFoundError,
  UnrecoverableError,
} from './errors';
// Half messages (prepare → commit | rollback, with check-back) and the raw-pg outbox
export type { CheckAnswer } from './half-messages/call-checkback-url';
export {
  type CheckbackAllow,
  CheckbackDestinationPolicy,
  CheckbackRefusedError,
  checkbackPolicy,
} from './half-messages/checkback-destination';
export type {
  CheckbackRunner,
  CheckbackRunnerOptions,
  CheckEvent,
  TransactionChecker,
} from './half-messages/checkback-runner';
export { countTransactions, type TransactionCount } from './half-messages/count-transactions';
export { type ListTransactionsOptions, listTransactions } from './half-messages/list-transactions';
export { DEFAULT_CHECK_AFTER_MS, DEFAULT_MAX_CHECKS, type PrepareOptions } from './half-messages/prepare';
export {
  TRANSACTION_STATES,
  type TransactionInfo,
  TransactionNotFoundError,
  type TransactionState,
  type TransactionTarget,
} from './half-messages/transaction';
// Exactly-once consumers
export { type ExactlyOnceOutcome, type ExactlyOnceWork, processExactlyOnce } from './inbox/process-exactly-once';
// API keys (scoped, stored hashed): what the service and the SQS endpoint authenticate with
export { anyKeyExists } from './keys/any-key-exists';
export type { ApiKeyInfo } from './keys/api-key';
export { type CreateKeyInput, createKey, KEY_NAME_PATTERN } from './keys/create-key';
export { KEY_SCOPES, type KeyScope, NAMES_GLOB_PATTERN, nameMatches, scopesCover } from './keys/key-scopes';
export { listKeys } from './keys/list-keys';
export { revokeKey } from './keys/revoke-key';
export { findSigningKey, type SigningCredentials } from './keys/signing-key';
export { verifyKey } from './keys/verify-key';
export type { MaintenanceOptions, MaintenancePass } from './maintenance/maintenance';
export type { AckResult } from './messages/ack';
// Operating a queue: purge, delete one message, cancel by dedupKey, dead-letter move tasks
export { cancelByDedupKey } from './messages/cancel-by-dedup-key';
export { type DeleteMessageOptions, deleteMessage, MessageNotFoundError } from './messages/delete-message';
export type { ExtendResult } from './messages/extend';
// Messages
export {
  MAX_DELAY_MS,
  MESSAGE_LIMITS,
  type OutgoingMessage,
  type ReceivedMessage,
  TIME_RANGE,
} from './messages/message';
export type { NackItem, NackResult } from './messages/nack';
export { MESSAGE_STATES, type MessageState, type PeekedMessage } from './messages/peek';
export { MAX_BATCH, type SendResult, send, sendBatch } from './messages/send';
export { sendWithPgClient } from './messages/send-with-pg-client';
// Typed messages: any Standard Schema validator checks bodies before a handler sees them
export type {
  SchemaOutput,
  StandardSchemaIssue,
  StandardSchemaResult,
  StandardSchemaV1,
} from './messages/standard-schema';
export { tailMessages } from './messages/tail-messages';
// Metrics: what the core did, for Prometheus (prom-client, an optional peer) or any other system
export type { ListenerHealth, PostboxMetrics } from './metrics/postbox-metrics';
export { type PrometheusMetricsOptions, type PromRegistry, prometheusMetrics } from './metrics/prometheus-metrics';
// The client
export {
  Postbox,
  type PostboxOptions,
  type ReceiveOptions,
  type SendCallOptions,
  type WriteOptions,
} from './postbox';
export type { CreateQueueResult } from './queues/create-queue';
export { getProtocolAttributes } from './queues/get-protocol-attributes';
export { pauseQueue } from './queues/pause-queue';
export { checkPurgeStates, PURGE_STATES, type PurgeState, purgeQueue } from './queues/purge-queue';
// Queues
export {
  type BackoffSettings,
  EXPIRED_TO,
  type ExpiredTo,
  MAX_RETENTION_MS,
  OVERFLOW,
  type Overflow,
  QUEUE_LIMITS,
  QUEUE_NAME,
  type Queue,
  type QueueOptions,
  type QueueSettings,
} from './queues/queue-settings';
export { EXACT_STATS_LIMIT, type QueueWithStats } from './queues/queue-stats';
export { type ActivityCounters, readActivityCounters } from './queues/read-activity-counters';
export { resumeQueue } from './queues/resume-queue';
export { setProtocolAttributes } from './queues/set-protocol-attributes';
export { updateQueue } from './queues/update-queue';
// Relay to RabbitMQ (needs the optional peer dependency amqplib)
export { BrokerNackError, RelayStoppedError, UnroutableError } from './relay/broker-link';
export type { AmqpConnectOptions, RelayOptions, RelayStats, RoutingKeyOption } from './relay/relay-options';
export { MissingRoutingKeyError } from './relay/routing-key';
export { RELAY_GROUP_HEADER, RELAY_QUEUE_HEADER, type Relay, relayToRabbitMq, startRelay } from './relay/start-relay';
// Recurring schedules
export { type CreateScheduleResult, createSchedule } from './schedules/create-schedule';
export { deleteSchedule } from './schedules/delete-schedule';
export { getSchedule, listSchedules } from './schedules/list-schedules';
export { pauseSchedule, resumeSchedule } from './schedules/pause-schedule';
export { runDueSchedules, type TickOptions, type TickPass } from './schedules/run-due-schedules';
export {
  EVERY_MS,
  MISSED_POLICIES,
  type MissedPolicy,
  SCHEDULE_HEADER,
  SCHEDULE_MISSED_SINCE_HEADER,
  SCHEDULE_TICK_HEADER,
  type Schedule,
  type ScheduledMessage,
  type ScheduleInput,
  ScheduleNotFoundError,
} from './schedules/schedule';
export type { ScheduleRunnerOptions } from './schedules/schedule-runner';
export { type ListTasksOptions, listTasks } from './tasks/list-tasks';
export { type MoveOptions, startMoveTask } from './tasks/start-move-task';
export { getTask, TASK_STATES, type TaskInfo, TaskNotFoundError, type TaskState } from './tasks/task';
export type { TaskRunnerOptions } from './tasks/task-runner';
export type { CreateTopicResult } from './topics/create-topic';
export { listTopicGroups, type TopicGroup, type TopicWithGroups } from './topics/list-topic-groups';
export type { SubscriptionWithStats, TopicWithSubscriptions } from './topics/list-topics';
export { setGroupPaused } from './topics/pause-group';
// Topics (pub/sub)
export { type PublishResult, publish, publishBatch } from './topics/publish';
export type { ReplayOptions } from './topics/replay-topic';
export type { SubscribeOptions, SubscribeResult, Subscription } from './topics/subscribe';
export {
  type PublishedMessage,
  SubscriptionNotFoundError,
  TAG_HEADER,
  TOPIC_HEADER,
  TOPIC_MESSAGE_ID_HEADER,
  type Topic,
  TopicNotFoundError,
  type TopicOptions,
} from './topics/topic-settings';
