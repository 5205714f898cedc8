import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClaimSizer } from '../libs/core/src/consumer/claim-sizer';

describe('ClaimSizer (lease-mode claim size)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts at the concurrency and doubles only when a full claim came back while handlers waited', () => {
    const sizer = new ClaimSizer(10, 1000, 30_000);
    expect(sizer.size).toBe(10);
    sizer.claimed(10, 10);
    expect(sizer.size).toBe(10); // full, but nobody waited
    sizer.starve();
    sizer.claimed(10, 10);
    expect(sizer.size).toBe(20);
    sizer.starve();
    sizer.claimed(15, 20);
    expect(sizer.size).toBe(10); // short claim: halve, whatever the waiting
  });

  it('stays between the concurrency and batchSize', () => {
    const sizer = new ClaimSizer(10, 300, 30_000);
    for (let i = 0; i < 10; i++) {
      sizer.starve();
      sizer.claimed(sizer.size, sizer.size);
    }
    expect(sizer.size).toBe(300);
    for (let i = 0; i < 10; i++) sizer.claimed(0, sizer.size);
    expect(sizer.size).toBe(10);
    expect(new ClaimSizer(10, 4, 30_000).size).toBe(4);
  });

  it('never holds more than a quarter of the visibility timeout of handling', () => {
    // Handlers finish 1 message per ms; a 200 ms lease: at most 50 buffered.
    const sizer = new ClaimSizer(5, 1000, 200);
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < 100; j++) sizer.handled();
      vi.advanceTimersByTime(100);
      sizer.starve();
      sizer.claimed(sizer.size, sizer.size);
    }
    expect(sizer.size).toBeLessThanOrEqual(50);
    expect(sizer.size).toBeGreaterThanOrEqual(25);
  });
});
