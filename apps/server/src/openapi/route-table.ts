import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { PUBLIC_ROUTE } from '../auth/public.decorator';
import { REQUIRED_SCOPE, type ScopeRequirement } from '../auth/requires-scope.decorator';

export interface RouteInfo {
  /** "GET /v1/queues/{queue}": OpenAPI's path spelling. */
  key: string;
  public: boolean;
  /** Scopes that open the route (admin always does); null = admin only. */
  scopes: readonly string[] | null;
  /** The status an @HttpCode sets (204 for deletes), if any. */
  httpCode: number | undefined;
}

const join = (...parts: (string | undefined)[]) =>
  `/${parts
    .flatMap((p) => (p ?? '').split('/'))
    .filter(Boolean)
    .join('/')}`;

/**
 * Every route Nest registered, with what the auth guard reads from it
 * (@Public, @RequiresScope): the facts the OpenAPI document is completed
 * from (complete-document.ts), so they cannot drift from the guard.
 */
export function routeTable(app: INestApplication): Map<string, RouteInfo> {
  const routes = new Map<string, RouteInfo>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const base = [Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined].flat();
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name];
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (method === undefined || paths === undefined) continue;
        const isPublic = Boolean(
          Reflect.getMetadata(PUBLIC_ROUTE, handler) ?? Reflect.getMetadata(PUBLIC_ROUTE, controller),
        );
        const scope = (Reflect.getMetadata(REQUIRED_SCOPE, handler) ??
          Reflect.getMetadata(REQUIRED_SCOPE, controller)) as ScopeRequirement | undefined;
        for (const prefix of base) {
          for (const path of [paths].flat()) {
            const key = `${RequestMethod[method]} ${join(prefix, path).replace(/:(\w+)/g, '{$1}')}`;
            routes.set(key, {
              key,
              public: isPublic,
              scopes: scope ? scope.anyOf : null,
              httpCode: Reflect.getMetadata(HTTP_CODE_METADATA, handler),
            });
          }
        }
      }
    }
  }
  return routes;
}
