import base from './vitest.config.mts';

// The specs StrykerJS runs against each mutant of libs/core/src/messages
// (stryker.config.json): the message lifecycle through the library and psql.
// test/messages-mutation/: edge cases written to kill survivors (docs/mutation-testing.md).
// (mergeConfig would append to `include`, running the whole suite.)
export default {
  ...base,
  test: {
    ...base.test,
    include: [
      'test/conformance/**/*.spec.ts',
      'test/messages.spec.ts',
      'test/messages-mutation/**/*.spec.ts',
      // The verbs' own specs: single sends (group-commit-sender.ts), delete and
      // cancel, the pg-client outbox, typed bodies, lock-mode claims (claim-locked.ts).
      'test/send-group-commit.spec.ts',
      'test/operations/purge-delete-cancel.spec.ts',
      'test/transactions/outbox.spec.ts',
      'test/typed-messages.spec.ts',
      'test/consumer-lock-mode.spec.ts',
    ],
  },
};
