import base from './vitest.config.mts';

// The specs StrykerJS runs against each mutant of the consumer's decision
// files (stryker.consumer.config.json).
export default {
  ...base,
  test: {
    ...base.test,
    include: ['test/consumer-claim-sizer.spec.ts', 'test/consumer-check-body.spec.ts', 'test/typed-messages.spec.ts'],
  },
};
