import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AuthGuard } from './auth/auth.guard';
import { AuthMode } from './auth/auth-mode';
import { ErrorResponseFilter } from './errors/error-response.filter';
import { POSTBOX, type Postbox, SERVER_OPTIONS } from './postbox.provider';
import type { ServerOptions } from './server-options';
import { RequestValidationPipe } from './validation/request-validation.pipe';

/**
 * What every feature module relies on, provided once and globally: the
 * Postbox (POSTBOX), the options (SERVER_OPTIONS), and the
 * cross-cutting request handling (auth guard, validation pipe, error filter).
 */
@Global()
@Module({})
export class ServerCoreModule {
  static forRoot(postbox: Postbox, options: ServerOptions): DynamicModule {
    return {
      module: ServerCoreModule,
      providers: [
        { provide: POSTBOX, useValue: postbox },
        { provide: SERVER_OPTIONS, useValue: options },
        AuthMode,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_PIPE, useClass: RequestValidationPipe },
        { provide: APP_FILTER, useClass: ErrorResponseFilter },
      ],
      exports: [POSTBOX, SERVER_OPTIONS, AuthMode],
    };
  }
}
