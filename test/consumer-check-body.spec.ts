import { describe, expect, it } from 'vitest';
import { checkBody, isUnrecoverable } from '../libs/core/src/consumer/check-body';
import { type ReceivedMessage, type StandardSchemaV1, UnrecoverableError } from '../libs/core/src/index';

const message = (body: unknown): ReceivedMessage => ({
  id: '1',
  receipt: '1.2',
  queue: 'q',
  body,
  headers: {},
  attempts: 1,
  enqueuedAt: new Date(0),
  groupKey: null,
  priority: 0,
  leaseExpiresAt: new Date(0),
});

/** A hand-written Standard Schema validator: what zod, valibot and arktype implement. */
function schema<T>(validate: StandardSchemaV1<unknown, T>['~standard']['validate']): StandardSchemaV1<unknown, T> {
  return { '~standard': { version: 1, vendor: 'hand', validate } };
}

describe('checkBody (a consumer’s bodySchema)', () => {
  it('hands on the schema’s output, sync or async, keeping the rest of the message', async () => {
    const doubled = schema((value) => ({ value: (value as number) * 2 }));
    expect(await checkBody(message(21), doubled)).toEqual({ ...message(21), body: 42 });
    const later = schema(async (value) => ({ value: `${value}!` }));
    expect((await checkBody(message('hi'), later)).body).toBe('hi!');
  });

  it('rejects with every issue, its path joined by dots whether segments are keys or {key} objects', async () => {
    const failing = schema(() => ({
      issues: [
        { message: 'too small', path: ['order', { key: 'items' }, 0] },
        { message: 'not an object' },
        { message: 'empty path', path: [] },
      ],
    }));
    const error = await checkBody(message({}), failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toBe('body rejected by hand: order.items.0: too small; not an object; empty path');
  });
});

describe('isUnrecoverable', () => {
  it('knows the class and, for a second copy of the package, the name; nothing else', () => {
    expect(isUnrecoverable(new UnrecoverableError('x'))).toBe(true);
    const copy = new Error('x');
    copy.name = 'UnrecoverableError';
    expect(isUnrecoverable(copy)).toBe(true);
    expect(isUnrecoverable(new Error('UnrecoverableError'))).toBe(false);
    expect(isUnrecoverable({ name: 'UnrecoverableError' })).toBe(false);
    expect(isUnrecoverable('UnrecoverableError')).toBe(false);
  });
});
