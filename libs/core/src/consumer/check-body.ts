import { UnrecoverableError } from '../errors';
import type { ReceivedMessage } from '../messages/message';
import type { StandardSchemaIssue, StandardSchemaV1 } from '../messages/standard-schema';

/**
 * A consumer's `bodySchema` applied to one delivery: the handler gets the
 * schema's output as the body (coercions and defaults included); a body the
 * schema rejects never reaches the handler and dies at once with the
 * validator's own messages (retrying the same bytes cannot help).
 */
export async function checkBody<T>(
  message: ReceivedMessage,
  schema: StandardSchemaV1<unknown, T>,
): Promise<ReceivedMessage<T>> {
  const result = await schema['~standard'].validate(message.body);
  if (result.issues) {
    throw new UnrecoverableError(
      `body rejected by ${schema['~standard'].vendor}: ${result.issues.map(describeIssue).join('; ')}`,
    );
  }
  return { ...message, body: result.value };
}

function describeIssue(issue: StandardSchemaIssue): string {
  const path = (issue.path ?? []).map((segment) => String(typeof segment === 'object' ? segment.key : segment));
  return path.length > 0 ? `${path.join('.')}: ${issue.message}` : issue.message;
}

/** By name as well as class: an app may load a second copy of the package (CJS and ESM side by side). */
export function isUnrecoverable(error: unknown): boolean {
  return error instanceof UnrecoverableError || (error instanceof Error && error.name === 'UnrecoverableError');
}
