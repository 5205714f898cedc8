import type { Postbox } from 'postbox';
import type { HttpResponse } from '../http-types';
import type { LongPolls } from '../messages/long-polls';
import { sqsErrors } from './sqs-error';
import type { SqsOptions } from './sqs-options';

/** What every action gets besides its input. */
export interface SqsContext {
  postbox: Postbox;
  options: SqsOptions;
  /** "http://host:port" as the client reached us: queue URLs start with it. */
  origin: string;
  /** The queue the request names (its QueueUrl, or the queue URL it was POSTed to); null when none. */
  queue: string | null;
  /** Whether the caller's key may do `action` on `queue` (always, in dev mode). */
  allows(action: string, queue: string | null): boolean;
  /** Whether the caller's key may do `action` on every queue (a names-limited key may not). */
  allowsEveryName(action: string): boolean;
  longPolls: LongPolls;
  res: HttpResponse;
}

export function queueUrl(ctx: SqsContext, name: string): string {
  return `${ctx.origin}/${ctx.options.accountId}/${name}`;
}

export function queueArn(options: SqsOptions, name: string): string {
  return `arn:aws:sqs:${options.region}:${options.accountId}:${name}`;
}

export function requireQueue(ctx: SqsContext): string {
  if (ctx.queue === null) throw sqsErrors.missingParameter('QueueUrl');
  return ctx.queue;
}

/** The queue name in a queue URL: its last path segment (http://host/<account>/<queue>). */
export function queueNameFromUrl(url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // A bare path or name is accepted too, as SQS does for QueueUrl.
  }
  const segments = path.split('/').filter(Boolean);
  const name = segments[segments.length - 1];
  if (!name) throw sqsErrors.invalidParameterValue(`Value ${url} for parameter QueueUrl is invalid.`);
  try {
    return decodeURIComponent(name);
  } catch {
    throw sqsErrors.invalidParameterValue(`Value ${url} for parameter QueueUrl is invalid.`);
  }
}

/** arn:aws:sqs:<region>:<account>:<queue> → queue. */
export function queueNameFromArn(arn: string, field: string): string {
  const parts = arn.split(':');
  const name = parts[5];
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs' || !name) {
    throw sqsErrors.invalidAttributeValue(field, `${arn} is not an SQS queue ARN.`);
  }
  return name;
}

/** SQS FIFO queues are exactly those whose name ends in .fifo. */
export function isFifoName(name: string): boolean {
  return name.endsWith('.fifo');
}
