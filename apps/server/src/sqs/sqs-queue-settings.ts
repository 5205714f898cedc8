import { Injectable } from '@nestjs/common';

/**
 * The SQS queue attributes the core has no column for. They are kept in
 * this process only (lost on restart, not shared between service
 * instances) until the core grows a home for them; every other attribute
 * maps onto the queue's own settings (queue-attributes.ts).
 */
export interface SqsOnlySettings {
  /** Default DelaySeconds of a send that gives none; applied by SendMessage(Batch). */
  delaySeconds: number;
  /** Default WaitTimeSeconds of a ReceiveMessage that gives none. */
  receiveMessageWaitTimeSeconds: number;
  /** Largest body + attributes SendMessage accepts. */
  maximumMessageSize: number;
  /** Stored and reported only: Postbox keeps a message until it is consumed. */
  messageRetentionPeriod: number;
  /** FIFO: a send without MessageDeduplicationId dedups on sha256(body). */
  contentBasedDeduplication: boolean;
}

/** SQS's defaults (maximum message size: 1 MiB since 2025). */
export const DEFAULT_SQS_ONLY_SETTINGS: SqsOnlySettings = {
  delaySeconds: 0,
  receiveMessageWaitTimeSeconds: 0,
  maximumMessageSize: 1_048_576,
  messageRetentionPeriod: 345_600,
  contentBasedDeduplication: false,
};

@Injectable()
export class SqsQueueSettings {
  private readonly byQueue = new Map<string, SqsOnlySettings>();

  get(queue: string): SqsOnlySettings {
    return this.byQueue.get(queue) ?? DEFAULT_SQS_ONLY_SETTINGS;
  }

  set(queue: string, changes: Partial<SqsOnlySettings>): void {
    this.byQueue.set(queue, { ...this.get(queue), ...changes });
  }

  delete(queue: string): void {
    this.byQueue.delete(queue);
  }
}
