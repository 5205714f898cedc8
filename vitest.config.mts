import path from 'node:path';
import swc from 'unplugin-swc';
import { configDefaults, defineConfig } from 'vitest/config';

const here = path.dirname(new URL(import.meta.url).pathname);

/**
 * CI's second run (.ci/run, POSTBOX_SECOND_VERSION_RUN=1, on the machine's
 * PostgreSQL 15) repeats the specs whose outcome can depend on the Postgres
 * major version: the engine (messages, consumer, conformance, operations,
 * faults, topics, transactions) and the REST service in-process. These
 * test what sits on top of the same core calls, so a second Postgres adds
 * nothing but minutes; `npm test` without the variable runs everything.
 */
export const SECOND_VERSION_SKIPS: readonly { files: string; why: string }[] = [
  {
    files: 'test/dashboard/{dashboard,screenshots,dashboard-build}.spec.ts',
    why: 'a browser on the REST API (stats-sampler.spec.ts, which reads the counters in SQL, stays)',
  },
  {
    files: 'test/cli/**',
    why: 'the compiled bin as a process; each command is a core operation run by test/operations',
  },
  { files: 'test/packaging/**', why: 'npm pack and installs into CJS/ESM/TypeScript apps' },
  { files: 'test/sqs/**', why: 'SQS protocol translation over the core calls the engine specs run' },
  { files: 'test/relay/**', why: 'RabbitMQ publisher confirms' },
  {
    files: 'test/server/{embedded-orphan,server-process}.spec.ts',
    why: 'process lifecycle on the embedded PostgreSQL 18, not on DATABASE_URL',
  },
];

const secondVersionRun = process.env.POSTBOX_SECOND_VERSION_RUN === '1';
if (secondVersionRun) {
  for (const { files, why } of SECOND_VERSION_SKIPS) console.log(`second-version run skips ${files}: ${why}`);
}

export default defineConfig({
  // SWC, not esbuild: Nest's dependency injection needs emitDecoratorMetadata.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: {
    // Tests run the packages from source, as tsconfig.json's paths type-check them.
    alias: {
      postbox: path.join(here, 'libs/core/src/index.ts'),
      '@postbox/nestjs': path.join(here, 'libs/nestjs/src/index.ts'),
      '@postbox/server': path.join(here, 'apps/server/src/index.ts'),
    },
  },
  test: {
    include: ['test/**/*.spec.ts'],
    exclude: [...configDefaults.exclude, ...(secondVersionRun ? SECOND_VERSION_SKIPS.map((skip) => skip.files) : [])],
    globalSetup: ['test/setup/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
