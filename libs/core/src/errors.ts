/**
 * Errors the core raises on purpose. Each carries the field it is about (when
 * there is one) so the REST layer can answer 400/404/409 naming that field.
 */
export class PostboxError extends Error {
  override name = 'PostboxError';
}

/** Input that can never succeed: maps to 400. */
export class InvalidInputError extends PostboxError {
  override name = 'InvalidInputError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field} ${reason}`);
  }
}

/** Unknown queue, topic, subscription or transaction: maps to 404. */
export class NotFoundError extends PostboxError {
  override name = 'NotFoundError';
}

export class QueueNotFoundError extends NotFoundError {
  override name = 'QueueNotFoundError';
  constructor(readonly queue: string) {
    super(`queue "${queue}" does not exist`);
  }
}

/**
 * Thrown by a handler when retrying cannot help (a malformed body, a
 * permanently rejected payment): the message is dead-lettered at once with
 * this error, whatever attempts it has left. BullMQ's UnrecoverableError,
 * Oban's `{:discard, reason}`. A body that fails the consumer's `bodySchema`
 * dies the same way.
 */
export class UnrecoverableError extends Error {
  override name = 'UnrecoverableError';
}

/** The request conflicts with the stored state: maps to 409. */
export class ConflictError extends PostboxError {
  override name = 'ConflictError';
}

/**
 * What is stored as a message's last error (and shown by peek, the REST API
 * and the dashboard): name and message only. The stack names source files
 * and lines of the consumer's process, which API callers must not see; it
 * goes to onError (the logs) with the error itself.
 */
export function describeError(error: unknown): string {
  return storableText(describe(error));
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
  } catch {
    return String(error);
  }
}

/**
 * Postgres text cannot hold NUL or a lone surrogate: one such handler error
 * would fail the whole batched nack statement, every message in it with it.
 * They are replaced with U+FFFD; the error itself still reaches onError.
 */
function storableText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what is replaced
  return text.replace(/\u0000|\p{Cs}/gu, '\uFFFD');
}

/** A send to a queue at its maxLength with overflow "reject": maps to 429. */
export class QueueFullError extends PostboxError {
  override name = 'QueueFullError';
  constructor(
    readonly queue: string,
    message: string,
  ) {
    super(message);
  }
}

/** A message larger than its queue's maxMessageBytes: maps to 413. The message names the limit. */
export class MessageTooLargeError extends PostboxError {
  override name = 'MessageTooLargeError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
