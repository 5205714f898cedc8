export type {
  CheckAnswer,
  HandlerContext,
  OutgoingMessage,
  PublishedMessage,
  Queue,
  QueueOptions,
  ReceivedMessage,
  Schedule,
  ScheduleInput,
  TransactionInfo,
  TransactionTarget,
} from 'postbox';
export { ensureSchedule, type ScheduleDeclaration } from './declare-schedules';
export * from './handler-metadata';
export { PostboxModule } from './postbox.module';
export { POSTBOX_ASYNC_OPTIONS_TYPE, POSTBOX_MODULE_OPTIONS, POSTBOX_OPTIONS_TYPE } from './postbox.module-definition';
export { PostboxClient } from './postbox-client';
export { PostboxExplorer } from './postbox-explorer';
export * from './postbox-module-options';
export { QueueHandler } from './queue-handler.decorator';
export { TopicHandler } from './topic-handler.decorator';
export { TransactionChecker } from './transaction-checker.decorator';
