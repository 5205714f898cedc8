import { createHash } from 'node:crypto';
import type { OutgoingMessage, ReceivedMessage } from 'postbox';
import { md5OfAttributes, md5OfBody, type SqsMessageAttribute } from './md5-of-message';
import { isFifoName } from './sqs-context';
import { sqsErrors } from './sqs-error';
import { optionalInt, optionalString, type SqsInput } from './sqs-input';
import type { SqsSendSettings } from './sqs-queue-settings';

/**
 * SQS messages ↔ Postbox messages, in one place:
 *   MessageBody (a string)   ↔ body, a JSON string (a non-string body sent through REST reads as its JSON text)
 *   MessageAttributes        ↔ headers (name → StringValue, or the base64 BinaryValue); DataTypes other than
 *                              "String" are kept in the TYPES_HEADER so they come back as sent
 *   DelaySeconds             ↔ delayMs
 *   MessageGroupId           ↔ groupKey
 *   MessageDeduplicationId   ↔ dedupKey (FIFO; or sha256(body) with ContentBasedDeduplication)
 *   ApproximateReceiveCount  ↔ attempts, SentTimestamp ↔ enqueuedAt, ReceiptHandle ↔ receipt
 */
export const TYPES_HEADER = 'x-postbox-sqs-types';

/** SQS's allowed characters: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF (no NUL, no lone surrogates). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: tab, LF and CR are exactly the control characters SQS allows
const INVALID_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ATTRIBUTE_NAME = /^(?!aws\.|amazon\.)(?!\.)(?!.*\.\.)[A-Za-z0-9_.-]{1,256}(?<!\.)$/i;

export interface PreparedSend {
  message: OutgoingMessage;
  md5OfBody: string;
  md5OfAttributes: string | undefined;
}

function messageAttributes(input: SqsInput): Record<string, SqsMessageAttribute> {
  const raw = input.MessageAttributes;
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw sqsErrors.invalidParameterValue('MessageAttributes must be a map.');
  }
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > 10) {
    throw sqsErrors.invalidParameterValue(
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`,
    );
  }
  const attributes: Record<string, SqsMessageAttribute> = {};
  for (const [name, value] of entries) {
    if (!ATTRIBUTE_NAME.test(name) || name === TYPES_HEADER) {
      throw sqsErrors.invalidParameterValue(`Message attribute name '${name}' is invalid.`);
    }
    const { DataType, StringValue, BinaryValue } = (value ?? {}) as Record<string, unknown>;
    if (typeof DataType !== 'string' || !/^(String|Number|Binary)(\.[^\s]{1,240})?$/.test(DataType)) {
      throw sqsErrors.invalidParameterValue(`The message attribute '${name}' has an invalid message attribute type.`);
    }
    const binary = DataType.startsWith('Binary');
    const given = binary ? BinaryValue : StringValue;
    if (typeof given !== 'string' || given === '') {
      throw sqsErrors.invalidParameterValue(
        `The message attribute '${name}' must contain a non-empty message attribute value for message attribute type '${DataType}'.`,
      );
    }
    if (!binary && INVALID_CHARACTER.test(given)) {
      throw sqsErrors.invalidParameterValue(`The message attribute '${name}' contains invalid characters.`);
    }
    if (DataType.startsWith('Number') && !Number.isFinite(Number(given))) {
      throw sqsErrors.invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
    }
    attributes[name] = binary ? { DataType, BinaryValue: given } : { DataType, StringValue: given };
  }
  return attributes;
}

function attributesSize(attributes: Record<string, SqsMessageAttribute>): number {
  let size = 0;
  for (const [name, a] of Object.entries(attributes)) {
    size += Buffer.byteLength(name) + Buffer.byteLength(a.DataType);
    size +=
      a.BinaryValue !== undefined
        ? Buffer.from(a.BinaryValue, 'base64').length
        : Buffer.byteLength(a.StringValue ?? '');
  }
  return size;
}

/** One SendMessage (or batch entry) as the Postbox message it becomes, checked as SQS checks it. */
export function prepareSend(queue: string, input: SqsInput, settings: SqsSendSettings): PreparedSend {
  const body = optionalString(input, 'MessageBody');
  if (body === undefined || body === '') throw sqsErrors.missingParameter('MessageBody');
  if (INVALID_CHARACTER.test(body)) {
    throw sqsErrors.invalidMessageContents(
      'Invalid binary character in the message body; see the allowed characters in the SQS docs.',
    );
  }
  const attributes = messageAttributes(input);
  const size = Buffer.byteLength(body) + attributesSize(attributes);
  if (size > settings.maximumMessageSize) {
    throw sqsErrors.invalidParameterValue(
      `One or more parameters are invalid. Reason: Message must be shorter than ${settings.maximumMessageSize} bytes.`,
    );
  }
  const fifo = isFifoName(queue);
  const delaySeconds = optionalInt(input, 'DelaySeconds', 0, 900);
  const groupId = optionalString(input, 'MessageGroupId');
  const dedupId = optionalString(input, 'MessageDeduplicationId');
  if (fifo) {
    if (delaySeconds !== undefined && delaySeconds !== 0) {
      throw sqsErrors.invalidParameterValue(
        `Value ${delaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
      );
    }
    if (!groupId) throw sqsErrors.missingParameter('MessageGroupId');
    if (!dedupId && !settings.contentBasedDeduplication) {
      throw sqsErrors.invalidParameterValue(
        'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
    }
  } else if (dedupId !== undefined) {
    throw sqsErrors.invalidParameterValue(
      'Value for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.',
    );
  }
  const headers: Record<string, string> = {};
  const types: Record<string, string> = {};
  for (const [name, a] of Object.entries(attributes)) {
    headers[name] = a.BinaryValue ?? a.StringValue ?? '';
    if (a.DataType !== 'String') types[name] = a.DataType;
  }
  if (Object.keys(types).length > 0) headers[TYPES_HEADER] = JSON.stringify(types);
  const message: OutgoingMessage = { body };
  if (Object.keys(headers).length > 0) message.headers = headers;
  const delay = fifo ? 0 : (delaySeconds ?? settings.delaySeconds);
  if (delay > 0) message.delayMs = delay * 1000;
  if (groupId) message.groupKey = groupId;
  if (fifo) message.dedupKey = dedupId ?? createHash('sha256').update(body).digest('hex');
  return { message, md5OfBody: md5OfBody(body), md5OfAttributes: md5OfAttributes(attributes) };
}

/** A Postbox body as SQS's MessageBody: strings as they are, anything else as its JSON text. */
export function sqsBody(body: unknown): string {
  return typeof body === 'string' ? body : JSON.stringify(body);
}

function storedAttributes(headers: Record<string, string>): Record<string, SqsMessageAttribute> {
  let types: Record<string, string> = {};
  try {
    types = headers[TYPES_HEADER] ? JSON.parse(headers[TYPES_HEADER]) : {};
  } catch {
    types = {};
  }
  const attributes: Record<string, SqsMessageAttribute> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === TYPES_HEADER) continue;
    const DataType = typeof types[name] === 'string' ? types[name] : 'String';
    attributes[name] = DataType.startsWith('Binary')
      ? { DataType, BinaryValue: value }
      : { DataType, StringValue: value };
  }
  return attributes;
}

/** MessageAttributeNames: "All", ".*", "prefix.*" or exact names. */
function wanted(name: string, patterns: readonly string[]): boolean {
  return patterns.some(
    (p) => p === 'All' || p === '.*' || p === name || (p.endsWith('.*') && name.startsWith(p.slice(0, -1))),
  );
}

export interface ReceiveShape {
  attributeNames: readonly string[];
  messageAttributeNames: readonly string[];
  senderId: string;
  /** When this receive happened (ApproximateFirstReceiveTimestamp of a first delivery). */
  receivedAt: number;
}

/** A Postbox delivery as an SQS Message, with only the attributes asked for. */
export function toSqsMessage(received: ReceivedMessage, shape: ReceiveShape): Record<string, unknown> {
  const body = sqsBody(received.body);
  const message: Record<string, unknown> = {
    MessageId: received.id,
    ReceiptHandle: received.receipt,
    MD5OfBody: md5OfBody(body),
    Body: body,
  };
  const all = shape.attributeNames.includes('All');
  const system: Record<string, string> = {};
  const want = (name: string) => all || shape.attributeNames.includes(name);
  if (want('SenderId')) system.SenderId = shape.senderId;
  if (want('SentTimestamp')) system.SentTimestamp = String(received.enqueuedAt.getTime());
  if (want('ApproximateReceiveCount')) system.ApproximateReceiveCount = String(received.attempts);
  // The core does not record a message's first delivery; on the first delivery it is now.
  if (want('ApproximateFirstReceiveTimestamp') && received.attempts === 1) {
    system.ApproximateFirstReceiveTimestamp = String(shape.receivedAt);
  }
  if (received.groupKey !== null && want('MessageGroupId')) system.MessageGroupId = received.groupKey;
  if (isFifoName(received.queue) && want('SequenceNumber')) system.SequenceNumber = received.id;
  if (Object.keys(system).length > 0) message.Attributes = system;
  if (shape.messageAttributeNames.length > 0) {
    const attributes = Object.fromEntries(
      Object.entries(storedAttributes(received.headers)).filter(([name]) => wanted(name, shape.messageAttributeNames)),
    );
    const md5 = md5OfAttributes(attributes);
    if (md5 !== undefined) {
      message.MessageAttributes = attributes;
      message.MD5OfMessageAttributes = md5;
    }
  }
  return message;
}
