import { type ArgumentMetadata, BadRequestException, Injectable, ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { detachFreeJson } from './free-json';

const MAX_LISTED_ERRORS = 20;

function startsWithProperty(message: string, property: string): boolean {
  return message.startsWith(`${property} `) || message.startsWith(`${property}.`);
}

/**
 * class-validator reports every failed constraint of a property ("must be an
 * integer", "must not be greater than ...", ...); the first that explains the
 * others is enough: a wrong type before a range, a range before a length.
 */
function mainConstraint(constraints: Record<string, string>): [string, string] | undefined {
  const entries = Object.entries(constraints);
  const rank = ([key]: [string, string]) =>
    key === 'whitelistValidation' ? 0 : /^is|^matches|^are/i.test(key) ? 1 : 2;
  return entries.sort((a, b) => rank(a) - rank(b))[0];
}

/** "messages.3.priority must be an integer number", one line per failed field, nested ones included. */
export function describeValidationErrors(errors: readonly ValidationError[], parentPath = ''): string[] {
  const lines: string[] = [];
  for (const error of errors) {
    const path = parentPath ? `${parentPath}.${error.property}` : error.property;
    const main = mainConstraint(error.constraints ?? {});
    // An array element that is not an object: the array's own validator (AreObjects) already named it.
    const elementNotObject = main?.[0] === 'nestedValidation' && /^\d+$/.test(error.property);
    if (main && !elementNotObject) {
      const [constraint, message] = main;
      if (constraint === 'whitelistValidation') lines.push(`property ${path} should not exist`);
      else if (startsWithProperty(message, error.property))
        lines.push(`${path}${message.slice(error.property.length)}`);
      else if (message.startsWith('each value in ')) lines.push(message.replace(error.property, path));
      else lines.push(`${path}: ${message}`);
    }
    if (error.children?.length) lines.push(...describeValidationErrors(error.children, path));
  }
  return lines;
}

/**
 * The global pipe: class-validator DTOs with unknown fields forbidden and
 * values transformed to their DTO types. A 400's message names each field
 * and why (the first 20 of them, for a batch where every message is wrong).
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => {
        const lines = [...new Set(describeValidationErrors(errors))];
        const shown = lines.slice(0, MAX_LISTED_ERRORS);
        if (lines.length > shown.length) shown.push(`and ${lines.length - shown.length} more`);
        return new BadRequestException(shown.join('; ') || 'invalid request');
      },
    });
  }

  /**
   * Nest's own version deletes every __proto__, constructor and prototype key,
   * recursively: it silently rewrote message bodies (`{"__proto__":{"x":1},"k":1}`
   * was stored as `{"k":1}`) and, recursing once per level, overflowed the
   * stack on a body nested 10,000 deep. The JSON body parser (scanJson)
   * already refuses those keys wherever they would be fields (400, "property
   * __proto__ should not exist") and leaves them in message bodies and
   * headers, which are data and are stored as sent. Query strings (qs) and
   * route params never create them.
   */
  protected override stripProtoKeys(_value: unknown): void {}

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // An array or a bare JSON value (null included) would reach the DTO as garbage; say what is wrong instead.
    // No body at all is undefined, and stands for {} (every field absent).
    if (
      metadata.type === 'body' &&
      value !== undefined &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      if (metadata.metatype && this.toValidate(metadata)) {
        throw new BadRequestException('body must be a JSON object');
      }
    }
    if (metadata.type === 'body' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      // Message bodies and headers are validated through stand-ins and put back as sent (see free-json.ts).
      const { standIn, restore } = detachFreeJson(value as Record<string, unknown>);
      const dto = await super.transform(standIn, metadata);
      restore(dto);
      return dto;
    }
    return super.transform(value, metadata);
  }
}
