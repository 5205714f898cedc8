import type { Executor } from '../database/database';
import type { SchemaOption } from '../database/tables';
import { setPaused } from './pause-queue';
import type { Queue } from './queue-settings';

/**
 * Resumes a paused queue and wakes its waiting receives and consumers at
 * once (a NOTIFY on its wake-up channel, committed with the change).
 * Idempotent.
 */
export function resumeQueue(db: Executor, name: string, options: SchemaOption = {}): Promise<Queue> {
  return setPaused(db, name, false, options);
}
