import { SetMetadata } from '@nestjs/common';
import type { KeyScope } from 'postbox';
import { type NameSource, routeParamNames } from './name-sources';

export const REQUIRED_SCOPE = 'postbox:requires-scope';

export interface ScopeRequirement {
  /** Any one of these scopes lets the key in (admin always does). */
  anyOf: readonly KeyScope[];
  names: NameSource;
}

/**
 * The scope a handler needs, and where its queue/topic names are read from
 * (default: the `:queue`/`:topic` route parameters). A handler without this
 * decorator (and not @Public) needs an admin key: new routes are closed
 * until someone decides otherwise.
 */
export const RequiresScope = (
  anyOf: KeyScope | readonly KeyScope[],
  names: NameSource = routeParamNames,
): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPE, { anyOf: typeof anyOf === 'string' ? [anyOf] : anyOf, names } satisfies ScopeRequirement);
