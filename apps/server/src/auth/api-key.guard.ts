import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { HttpRequest } from '../http-types';
import { SERVER_OPTIONS } from '../postbox.provider';
import type { ServerOptions } from '../server-options';

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * With POSTBOX_API_KEY set, every /v1 route needs the key, as
 * `Authorization: Bearer <key>` or `x-api-key: <key>`. /health, /metrics,
 * /docs and the dashboard page stay open (probes and scrapers have no key;
 * the dashboard asks for one before it reads /v1).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(SERVER_OPTIONS) private readonly options: ServerOptions) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.options.apiKey;
    if (!expected || context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<HttpRequest>();
    if (!/^\/v1(\/|$)/.test(req.path)) return true;
    const authorization = req.headers.authorization;
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : undefined;
    const header = req.headers['x-api-key'];
    const given = bearer ?? (typeof header === 'string' ? header : undefined);
    if (given !== undefined && sameKey(given, expected)) return true;
    throw new UnauthorizedException(
      given === undefined
        ? 'missing API key: send Authorization: Bearer <key> or x-api-key: <key>'
        : 'wrong API key in Authorization or x-api-key',
    );
  }
}
