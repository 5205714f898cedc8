import base from './vitest.config.mts';

// The specs StrykerJS runs against each mutant of libs/core/src/consumer
// (stryker.consumer.config.json). Short timeouts: a mutant that stops the run
// loop (a lost wake-up, a stop() that never resolves) would otherwise hold a
// spec for its 60 s timeout and the `until` helper's 45 s; every spec here
// passes in well under 2 s unmutated, so 8 s marks it failed, not slow.
export default {
  ...base,
  test: {
    ...base.test,
    include: [
      'test/consumer-mutation/**/*.spec.ts',
      'test/consumer.spec.ts',
      'test/consumer-lock-mode.spec.ts',
      'test/consumer-error-text.spec.ts',
      'test/consumer-claim-sizer.spec.ts',
      'test/consumer-check-body.spec.ts',
      'test/typed-messages.spec.ts',
    ],
    testTimeout: 8_000,
    hookTimeout: 8_000,
  },
};
