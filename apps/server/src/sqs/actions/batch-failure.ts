import { SqsError } from '../sqs-error';

/** A batch entry that failed on its own: SQS's BatchResultErrorEntry. Anything but an SqsError is rethrown. */
export function batchFailure(id: string, error: unknown) {
  if (!(error instanceof SqsError)) throw error;
  return { Id: id, SenderFault: error.fault === 'Sender', Code: error.code, Message: error.message };
}
