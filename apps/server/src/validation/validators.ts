import { ValidateBy, type ValidationOptions } from 'class-validator';
import { parseReceipt } from 'postbox';

/** The property must be present; any JSON value, null included, is fine (a message body). */
export function IsPresent(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPresent',
      validator: {
        validate: (value) => value !== undefined,
        defaultMessage: (args) => `${args?.property} is required`,
      },
    },
    options,
  );
}

/** An object whose values are all strings (message headers). */
export function IsStringRecord(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringRecord',
      validator: {
        validate: (value) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.values(value).every((v) => typeof v === 'string'),
        defaultMessage: (args) => `${args?.property} must be an object whose values are strings`,
      },
    },
    options,
  );
}

function isReceipt(value: unknown): boolean {
  try {
    parseReceipt(value);
    return true;
  } catch {
    return false;
  }
}

/** An array of receipts as receive returns them; the message names the first bad index. */
export function AreReceipts(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'areReceipts',
      validator: {
        validate: (value) => Array.isArray(value) && value.every(isReceipt),
        defaultMessage: (args) => {
          const index = Array.isArray(args?.value) ? args.value.findIndex((v: unknown) => !isReceipt(v)) : -1;
          return index < 0
            ? `${args?.property} must be an array`
            : `${args?.property}.${index} is not a receipt returned by receive`;
        },
      },
    },
    options,
  );
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An array of JSON objects; the message names the first element that is not one. */
export function AreObjects(what: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'areObjects',
      validator: {
        validate: (value) => Array.isArray(value) && value.every(isPlainObject),
        defaultMessage: (args) => {
          const index = Array.isArray(args?.value) ? args.value.findIndex((v: unknown) => !isPlainObject(v)) : -1;
          return index < 0 ? `${args?.property} must be an array` : `${args?.property}.${index} must be ${what}`;
        },
      },
    },
    options,
  );
}
