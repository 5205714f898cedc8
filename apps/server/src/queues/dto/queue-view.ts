import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { QueueWithStats } from 'postbox';
import { BackoffDto } from './create-queue.dto';

/** A queue as GET /v1/queues answers it: depth by state plus its settings. */
export class QueueView {
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'Visible now' }) ready!: number;
  @ApiProperty({ description: 'Not yet visible (delayMs, availableAt, retry backoff)' }) delayed!: number;
  @ApiProperty({ description: 'Leased to a consumer' }) inFlight!: number;
  @ApiProperty({ description: 'Dead letters' }) dead!: number;
  @ApiProperty({ type: Number, nullable: true }) oldestReadyAgeMs!: number | null;
  @ApiProperty() maxAttempts!: number;
  @ApiProperty() visibilityTimeoutMs!: number;
  @ApiProperty({ type: String, nullable: true }) deadLetterQueue!: string | null;
  @ApiProperty() fifo!: boolean;
  @ApiProperty({ type: Number, nullable: true }) retentionMs!: number | null;
  @ApiProperty({ type: BackoffDto }) backoff!: BackoffDto;
  @ApiPropertyOptional() dedupWindowMs!: number;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt!: string;
  @ApiProperty({ description: 'Receives and consumers get nothing; sends still land' }) paused!: boolean;
  @ApiProperty({ type: Number, nullable: true }) messageTtlMs!: number | null;
  @ApiProperty({ enum: ['deadLetter', 'drop'] }) expiredTo!: string;
  @ApiProperty({ type: Number, nullable: true }) maxLength!: number | null;
  @ApiProperty({ enum: ['reject', 'dropOldest'] }) overflow!: string;
  @ApiProperty() maxMessageBytes!: number;
}

export function toQueueView(queue: QueueWithStats): QueueView {
  return {
    name: queue.name,
    ready: queue.ready,
    delayed: queue.delayed,
    inFlight: queue.inFlight,
    dead: queue.dead,
    oldestReadyAgeMs: queue.oldestReadyAgeMs,
    maxAttempts: queue.maxAttempts,
    visibilityTimeoutMs: queue.visibilityTimeoutMs,
    deadLetterQueue: queue.deadLetterQueue,
    fifo: queue.fifo,
    retentionMs: queue.retentionMs,
    backoff: queue.backoff,
    dedupWindowMs: queue.dedupWindowMs,
    createdAt: queue.createdAt.toISOString(),
    paused: queue.paused,
    messageTtlMs: queue.messageTtlMs,
    expiredTo: queue.expiredTo,
    maxLength: queue.maxLength,
    overflow: queue.overflow,
    maxMessageBytes: queue.maxMessageBytes,
  };
}
