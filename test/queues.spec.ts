import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError } from '../libs/core/src/errors';
import type { Postbox } from '../libs/core/src/postbox';
import { useTestDatabase } from './setup/test-database';

describe('queues', () => {
  let postbox: Postbox;
  beforeAll(async () => {
    const db = await useTestDatabase();
    postbox = await db.postbox();
  });

  it('creates a queue with defaults, and again with the same settings is not a new queue', async () => {
    const first = await postbox.createQueue('orders');
    expect(first.created).toBe(true);
    expect(first.queue).toMatchObject({
      name: 'orders',
      maxAttempts: 5,
      visibilityTimeoutMs: 30_000,
      deadLetterQueue: null,
      fifo: false,
      backoff: { initialMs: 1_000, maxMs: 300_000 },
    });
    const again = await postbox.createQueue('orders', { maxAttempts: 5 });
    expect(again.created).toBe(false);
  });

  it('refuses other settings for an existing queue with a conflict', async () => {
    await postbox.createQueue('conflicting', { maxAttempts: 3 });
    await expect(postbox.createQueue('conflicting', { maxAttempts: 4 })).rejects.toThrow(ConflictError);
  });

  it('rejects bad names and settings, naming the field, and creates nothing', async () => {
    await expect(postbox.createQueue('-bad')).rejects.toThrow(/^name must match/);
    await expect(postbox.createQueue('ok', { maxAttempts: 0 })).rejects.toThrow(/^maxAttempts must be/);
    await expect(postbox.createQueue('ok', { backoff: { initialMs: 10, maxMs: 5 } })).rejects.toThrow(
      /^backoff.maxMs must be/,
    );
    await expect(postbox.createQueue('ok', { deadLetterQueue: 'missing' })).rejects.toThrow(InvalidInputError);
    expect((await postbox.listQueues()).map((q) => q.name)).not.toContain('ok');
  });

  it('lists queues with their depth by state', async () => {
    await postbox.createQueue('depth', { visibilityTimeoutMs: 60_000 });
    await postbox.sendBatch('depth', [{ body: 1 }, { body: 2 }, { body: 3 }, { body: 4, delayMs: 60_000 }]);
    await postbox.receive('depth', { max: 1 });
    const stats = await postbox.getQueueStats('depth');
    expect(stats).toMatchObject({ ready: 2, delayed: 1, inFlight: 1, dead: 0 });
    expect(stats.oldestReadyAgeMs).toBeGreaterThanOrEqual(0);
  });

  it('deletes a queue with its messages', async () => {
    await postbox.createQueue('doomed');
    await postbox.send('doomed', { body: 'x' });
    expect(await postbox.deleteQueue('doomed')).toBe(true);
    expect(await postbox.deleteQueue('doomed')).toBe(false);
    await expect(postbox.send('doomed', { body: 'y' })).rejects.toThrow('queue "doomed" does not exist');
  });
});
