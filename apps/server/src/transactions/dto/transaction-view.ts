import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { TransactionInfo } from 'postbox';

export class PrepareResultView {
  @ApiProperty({ format: 'uuid' }) transactionId!: string;
}

/** A half message as GET /v1/transactions/:id answers it. */
export class TransactionView {
  @ApiProperty({ format: 'uuid' }) transactionId!: string;
  @ApiPropertyOptional() queue?: string;
  @ApiPropertyOptional() topic?: string;
  @ApiProperty({ enum: ['prepared', 'committed', 'rolledBack', 'expired'] }) state!: string;
  @ApiProperty({ description: 'Check-backs started so far' }) checks!: number;
  @ApiProperty() maxChecks!: number;
  @ApiProperty() checkAfterMs!: number;
  @ApiProperty({ type: String, nullable: true }) checkbackUrl!: string | null;
  @ApiProperty({ type: String, nullable: true }) dedupKey!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'While prepared' })
  nextCheckAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastCheckAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Why the last check did not resolve it' })
  lastError!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) resolvedAt!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ['producer', 'checkback', 'expiry'] }) resolvedBy!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The message (or topic message) the commit produced' })
  messageId!: string | null;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function toTransactionView(tx: TransactionInfo): TransactionView {
  return {
    transactionId: tx.transactionId,
    ...(tx.queue !== undefined ? { queue: tx.queue } : { topic: tx.topic }),
    state: tx.state,
    checks: tx.checks,
    maxChecks: tx.maxChecks,
    checkAfterMs: tx.checkAfterMs,
    checkbackUrl: tx.checkbackUrl,
    dedupKey: tx.dedupKey,
    createdAt: tx.createdAt.toISOString(),
    nextCheckAt: iso(tx.nextCheckAt),
    lastCheckAt: iso(tx.lastCheckAt),
    lastError: tx.lastError,
    resolvedAt: iso(tx.resolvedAt),
    resolvedBy: tx.resolvedBy,
    messageId: tx.messageId,
  };
}
