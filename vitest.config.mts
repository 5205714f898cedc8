import path from 'node:path';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const here = path.dirname(new URL(import.meta.url).pathname);

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
    globalSetup: ['test/setup/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
