import { SetMetadata } from '@nestjs/common';
import { TRANSACTION_CHECKER_METADATA, type TransactionCheckerMetadata } from './handler-metadata';

/**
 * Marks a provider method as the check-back for half messages prepared for a
 * queue or topic: asked about a transaction still unresolved after its
 * checkAfterMs, it answers 'commit', 'rollback' or 'unknown' (ask again later).
 */
export const TransactionChecker = (queueOrTopic: string): MethodDecorator =>
  SetMetadata<string, TransactionCheckerMetadata>(TRANSACTION_CHECKER_METADATA, { queueOrTopic });
