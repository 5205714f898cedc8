import type { ReceivedMessage } from '../messages/message';
import type { RoutingKeyOption } from './relay-options';

/** Thrown when the routing key's header is missing and no fallback was given: the message is nacked with this reason. */
export class MissingRoutingKeyError extends Error {
  constructor(header: string) {
    super(`routing key header "${header}" is missing and no fallback is configured`);
    this.name = 'MissingRoutingKeyError';
  }
}

export function routingKeyFor(message: ReceivedMessage, option: RoutingKeyOption): string {
  if (typeof option === 'string') return option;
  const value = message.headers[option.header] ?? option.fallback;
  if (value === undefined) throw new MissingRoutingKeyError(option.header);
  return value;
}
