import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'postbox:public';

/**
 * Marks a handler (or controller) that answers without credentials. The whole
 * list, kept short on purpose: GET /health (probes), GET / (the dashboard
 * shell, which asks for a key before it reads /v1). /docs and /docs-json are
 * served by swagger-ui's Express middleware, outside Nest's routing, and are
 * public too. Every other route needs a key (auth.guard.ts).
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);
