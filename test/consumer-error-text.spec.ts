import { beforeAll, describe, expect, it } from 'vitest';
import type { Postbox } from '../libs/core/src/index';
import { openTestPostbox } from './setup/test-database';
import { until } from './setup/until';

/** Issue 10 item 2: a handler's error reaches REST readers as a message, never a stack with file paths. */
describe("a failed handler's lastError", () => {
  let postbox: Postbox;
  beforeAll(async () => {
    ({ postbox } = await openTestPostbox());
  });

  for (const claimMode of ['lease', 'lock'] as const) {
    it(`keeps name and message, not the stack (${claimMode} mode)`, async () => {
      const queue = `stackless-${claimMode}`;
      await postbox.createQueue(queue, { maxAttempts: 1 });
      const reported: unknown[] = [];
      const consumer = await postbox.consume(
        queue,
        () => {
          throw new TypeError('card declined');
        },
        { claimMode, pollIntervalMs: 100, onError: (error) => reported.push(error) },
      );
      await postbox.send(queue, { body: 1 });
      await until(async () => (await postbox.peek(queue, 'dead')).length === 1);
      await consumer.stop();
      const [dead] = await postbox.peek(queue, 'dead');
      expect(dead?.lastError).toBe('TypeError: card declined');
      // The stack still goes to onError, for the logs.
      expect((reported[0] as Error).stack).toMatch(/\n\s+at /);
    });
  }
});
