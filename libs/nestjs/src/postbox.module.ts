import { Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { createPostbox } from './create-postbox';
import { ConfigurablePostboxModule, POSTBOX_MODULE_OPTIONS } from './postbox.module-definition';
import { PostboxClient } from './postbox-client';
import { PostboxExplorer } from './postbox-explorer';
import type { PostboxModuleOptions } from './postbox-module-options';

/**
 * PostboxModule.forRoot(options) / forRootAsync({ useFactory, inject, imports }).
 * Provides PostboxClient; starts every @QueueHandler at bootstrap and drains
 * them on shutdown (see PostboxExplorer). Import it once per application.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: PostboxClient,
      inject: [POSTBOX_MODULE_OPTIONS],
      useFactory: async (options: PostboxModuleOptions) => {
        const logger = new Logger('Postbox');
        const postbox = await createPostbox(options, (error) => logger.warn(String(error)));
        return new PostboxClient(postbox);
      },
    },
    PostboxExplorer,
  ],
  exports: [PostboxClient],
})
export class PostboxModule extends ConfigurablePostboxModule {}
