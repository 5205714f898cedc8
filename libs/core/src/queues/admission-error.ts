import { InvalidInputError, MessageTooLargeError, QueueFullError } from '../errors';

/**
 * The SQLSTATEs raised by the admission and settings functions
 * (migrations/functions/40-send.sql, 65-queue-controls.sql), as the core's
 * errors. Anything else is returned unchanged, for the caller to rethrow.
 */
export function toAdmissionError(error: unknown, queue: string): unknown {
  const e = error as { code?: string; message?: string; detail?: string };
  if (!e || typeof e.message !== 'string') return error;
  if (e.code === 'PB413') return new MessageTooLargeError(e.detail ?? 'message', e.message);
  if (e.code === 'PB429') return new QueueFullError(queue, e.message);
  if (e.code === '22023' && e.detail) return new InvalidInputError(e.detail, e.message.slice(e.detail.length + 1));
  return error;
}
