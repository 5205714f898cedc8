import { InvalidInputError } from '../errors';

/**
 * A receipt names one delivery: "<message id>.<lease token>". The token is
 * random per claim, so once a lease expires and the message is claimed again
 * the old receipt matches no row and acks nothing.
 */
export interface ParsedReceipt {
  id: string;
  token: string;
}

/**
 * A delivery as ack and nack match it: id and lease token. The token is null
 * only for a lock-mode delivery of a never-leased row (messages/claim-locked.ts),
 * which the consumer holding the lock acks; receipts always carry one.
 */
export interface Delivery {
  id: string;
  token: string | null;
}

const RECEIPT = /^(\d{1,19})\.(-?\d{1,19})$/;

export function formatReceipt(id: string, token: string): string {
  return `${id}.${token}`;
}

export function parseReceipt(receipt: unknown, field = 'receipt'): ParsedReceipt {
  const match = typeof receipt === 'string' ? RECEIPT.exec(receipt) : null;
  if (!match) throw new InvalidInputError(field, 'is not a receipt returned by receive');
  return { id: match[1] as string, token: match[2] as string };
}

export function parseReceipts(receipts: readonly unknown[], field = 'receipts'): ParsedReceipt[] {
  return receipts.map((r, i) => parseReceipt(r, `${field}[${i}]`));
}
