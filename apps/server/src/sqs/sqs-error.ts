/**
 * An error in SQS's own terms. `code` is the JSON protocol's name (the
 * `__type` after `com.amazonaws.sqs#`, what @aws-sdk/client-sqs turns into
 * the exception's name); `queryCode` is the query protocol's <Code> (and the
 * JSON protocol's x-amzn-query-error header), which boto3 maps to its
 * exception classes. The pairs are SQS's own (its service model, 2012-11-05).
 */
export class SqsError extends Error {
  override name = 'SqsError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly queryCode = code,
    readonly fault: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

export const sqsErrors = {
  queueDoesNotExist: (queue: string) =>
    new SqsError(
      'QueueDoesNotExist',
      `The specified queue ${queue} does not exist.`,
      400,
      'AWS.SimpleQueueService.NonExistentQueue',
    ),
  queueNameExists: (queue: string) =>
    new SqsError(
      'QueueNameExists',
      `A queue already exists with the same name (${queue}) and a different value for attribute(s).`,
      400,
      'QueueAlreadyExists',
    ),
  receiptHandleIsInvalid: (handle: string) =>
    new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle}" is not a valid receipt handle.`),
  invalidParameterValue: (message: string) => new SqsError('InvalidParameterValue', message),
  missingParameter: (name: string) =>
    new SqsError('MissingParameter', `The request must contain the parameter ${name}.`),
  invalidAttributeName: (name: string) => new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`),
  invalidAttributeValue: (name: string, why: string) =>
    new SqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}. Reason: ${why}`),
  invalidMessageContents: (why: string) => new SqsError('InvalidMessageContents', why),
  unsupportedOperation: (what: string) =>
    new SqsError('UnsupportedOperation', what, 400, 'AWS.SimpleQueueService.UnsupportedOperation'),
  /** The move-task actions' "no such queue" (SQS answers ResourceNotFoundException there, not QueueDoesNotExist). */
  resourceNotFound: (field: string, arn: string) =>
    new SqsError(
      'ResourceNotFoundException',
      `The resource ${arn} that you specified for the ${field} parameter does not exist.`,
    ),
  invalidAction: (action: string) =>
    new SqsError('InvalidAction', `The action ${action} is not valid for this endpoint.`, 400),
  emptyBatchRequest: () =>
    new SqsError(
      'EmptyBatchRequest',
      'There should be at least one entry in the request.',
      400,
      'AWS.SimpleQueueService.EmptyBatchRequest',
    ),
  tooManyEntriesInBatchRequest: (n: number) =>
    new SqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are 10. You have sent ${n}.`,
      400,
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    ),
  batchEntryIdsNotDistinct: (id: string) =>
    new SqsError(
      'BatchEntryIdsNotDistinct',
      `Id ${id} repeated.`,
      400,
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    ),
  invalidBatchEntryId: () =>
    new SqsError(
      'InvalidBatchEntryId',
      'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      400,
      'AWS.SimpleQueueService.InvalidBatchEntryId',
    ),
  batchRequestTooLong: (limit: number) =>
    new SqsError(
      'BatchRequestTooLong',
      `Batch requests cannot be longer than ${limit} bytes.`,
      400,
      'AWS.SimpleQueueService.BatchRequestTooLong',
    ),
  missingAuthenticationToken: () =>
    new SqsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403),
  invalidClientTokenId: () =>
    new SqsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403),
  signatureDoesNotMatch: (why: string) => new SqsError('SignatureDoesNotMatch', why, 403),
  accessDenied: (action: string, queue: string | null) =>
    new SqsError(
      'AccessDenied',
      `Access to the resource ${queue ?? '*'} is denied for action ${action}.`,
      403,
      'AccessDenied',
    ),
  internalError: () =>
    new SqsError(
      'InternalError',
      'We encountered an internal error. Please try again.',
      500,
      'InternalError',
      'Receiver',
    ),
  serviceUnavailable: () =>
    new SqsError(
      'ServiceUnavailable',
      'The database is unreachable; the request did nothing and is safe to retry.',
      503,
      'ServiceUnavailable',
      'Receiver',
    ),
};
