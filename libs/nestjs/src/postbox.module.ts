import { Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Postbox } from 'postbox';
import { createPostbox } from './create-postbox';
import { ConfigurablePostboxModule, POSTBOX_MODULE_OPTIONS } from './postbox.module-definition';
import { PostboxExplorer } from './postbox-explorer';
import type { PostboxModuleOptions } from './postbox-module-options';

/**
 * PostboxModule.forRoot(options) / forRootAsync({ useFactory, inject, imports }).
 * Provides the core Postbox (injectable as Postbox or PostboxClient); starts every @QueueHandler at bootstrap and drains
 * them on shutdown (see PostboxExplorer). Import it once per application.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      // The core class is the token: inject `Postbox` (or its alias PostboxClient).
      provide: Postbox,
      inject: [POSTBOX_MODULE_OPTIONS],
      useFactory: async (options: PostboxModuleOptions) => {
        const logger = new Logger('Postbox');
        const postbox = await createPostbox(options, (error) => logger.warn(String(error)));
        return postbox;
      },
    },
    PostboxExplorer,
  ],
  exports: [Postbox],
})
export class PostboxModule extends ConfigurablePostboxModule {}
