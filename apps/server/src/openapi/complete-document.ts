import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { routeTable } from './route-table';

type Operation = {
  parameters?: { in: string }[];
  requestBody?: unknown;
  responses: Record<string, { description: string; content?: unknown }>;
  security?: Record<string, string[]>[];
  description?: string;
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** The schemes a key may come in (auth/credentials.ts reads both). */
export const SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { 'x-api-key': [] }];

const ERROR_TEXT: Record<string, string> = {
  '400': 'Invalid input: the message names the field and why (nothing was changed)',
  '401': 'Missing or wrong API key',
  '403': "The key's scopes or names do not cover this route, queue or topic",
  '404': 'Unknown queue, topic, subscription, transaction, key or schedule',
  '409': 'Conflict with the current state',
  '413': "A message larger than the queue's maxMessageBytes",
  '415': 'A body sent with a content type other than JSON',
  '429': 'Queue full (maxLength reached with overflow "reject")',
  '503': 'Database unreachable: nothing was done, safe to retry',
};

/** Answers only some routes give: (method path) → statuses, beyond those every route of its kind gets. */
const ROUTE_ERRORS: [RegExp, string[]][] = [
  [/^POST \/v1\/queues\/\{queue\}\/messages$/, ['413', '429']],
  [/^POST \/v1\/topics\/\{topic\}\/publish$/, ['413', '429']],
  [/^POST \/v1\/transactions$/, ['413']],
  [/^POST \/v1\/transactions\/\{id\}\/commit$/, ['429']],
  [/^DELETE \/v1\/queues\/\{queue\}\/messages\/\{id\}$/, ['409']],
  [/^POST \/v1\/queues\/\{queue\}\/cancel$/, ['409']],
  [/^POST \/v1\/schedules$/, ['409']],
];

/**
 * Completes what the controllers' decorators leave out, from the facts the
 * guard and the router use (route-table.ts), in one place so a new route
 * cannot be forgotten: security on every route that is not @Public (bearer
 * or x-api-key: the same key either way), the scopes in its description,
 * the error answers of API.md "Errors" as they apply (401/403 where a key is
 * needed, 400 where input is read, 404 where a path names something, 415
 * where a body is read, 413/429 where messages are stored, 503 everywhere a
 * database is read), all in the one error shape; and 204 for routes that
 * answer no content.
 */
export function completeDocument(document: OpenAPIObject, app: INestApplication): OpenAPIObject {
  const routes = routeTable(app);
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.Error = {
    type: 'object',
    required: ['statusCode', 'error', 'message'],
    properties: {
      statusCode: { type: 'integer', example: 400 },
      error: { type: 'string', example: 'Bad Request' },
      message: { type: 'string', example: 'maxAttempts must not be greater than 1000' },
    },
  };
  const error = (code: string) => ({
    description: ERROR_TEXT[code] ?? 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation) continue;
      const key = `${method.toUpperCase()} ${path}`;
      const route = routes.get(key);
      // Adds the answer, or the error shape to one a decorator declared with a description only.
      const add = (code: string) => {
        const declared = operation.responses[code];
        operation.responses[code] = declared
          ? { ...error(code), ...declared, content: declared.content ?? error(code).content }
          : error(code);
      };
      if (route && !route.public) {
        operation.security = SECURITY;
        const scopes = [...new Set(['admin', ...(route.scopes ?? [])])].join(', ');
        operation.description = [operation.description, `Key scopes that open it: ${scopes}.`]
          .filter(Boolean)
          .join('\n\n');
        add('401');
        add('403');
      } else if (route?.public) {
        operation.security = [];
      }
      const readsInput = (operation.parameters ?? []).length > 0 || operation.requestBody !== undefined;
      if (readsInput) add('400');
      if (path.includes('{')) add('404');
      if (operation.requestBody !== undefined) add('415');
      for (const [pattern, codes] of ROUTE_ERRORS) if (pattern.test(key)) for (const code of codes) add(code);
      if (path.startsWith('/v1/') || path === '/metrics') add('503');
      // Error answers a decorator declared with a description only get the error shape too.
      for (const code of Object.keys(operation.responses)) if (Number(code) >= 400 && path !== '/health') add(code);
      if (route?.httpCode === 204) {
        delete operation.responses['200'];
        operation.responses['204'] ??= { description: 'Done; no content' };
      }
    }
  }
  return document;
}
