import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { PostboxModuleOptions } from './postbox-module-options';

/**
 * forRoot / forRootAsync come from Nest's ConfigurableModuleBuilder; the
 * module is global by default so feature modules can inject PostboxClient
 * without importing PostboxModule again.
 */
export const {
  ConfigurableModuleClass: ConfigurablePostboxModule,
  MODULE_OPTIONS_TOKEN: POSTBOX_MODULE_OPTIONS,
  OPTIONS_TYPE: POSTBOX_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: POSTBOX_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PostboxModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
