import { applyDecorators } from '@nestjs/common';
import { ApiNotFoundResponse, ApiResponse, type ApiResponseOptions } from '@nestjs/swagger';
import type { KeyScope } from 'postbox';
import type { NameSource } from './name-sources';
import { RequiresScope } from './requires-scope.decorator';

export interface NamedResourceRouteOptions {
  /** Where the names a key must cover come from (default: the `:queue`/`:topic` route parameters). */
  names?: NameSource;
  /** The success answer as OpenAPI documents it (status 200 unless given); none for a 204 route. */
  answer?: ApiResponseOptions;
  /** What the 404 for an unknown name says in OpenAPI (default: nothing beyond "Not Found"). */
  notFound?: string;
}

/**
 * A route on one named queue, schedule or task: the key scope it needs (one
 * auth decision per route, auth.guard.ts), its answer and the 404 an unknown
 * name gets — the stack every such handler of the queues, schedules and tasks
 * controllers carried, decorator by decorator.
 */
export const NamedResourceRoute = (
  scope: KeyScope,
  { names, answer, notFound }: NamedResourceRouteOptions = {},
): MethodDecorator =>
  applyDecorators(
    ...(answer ? [ApiResponse({ status: 200, ...answer })] : []),
    ApiNotFoundResponse(notFound === undefined ? {} : { description: notFound }),
    RequiresScope(scope, names),
  );
