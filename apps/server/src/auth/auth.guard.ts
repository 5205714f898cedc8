import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { nameMatches, scopesCover, verifyKey } from 'postbox';
import { POSTBOX, type Postbox, SERVER_OPTIONS } from '../postbox.provider';
import type { ServerOptions } from '../server-options';
import { ACCEPTS_METRICS_KEY } from './accepts-metrics-key.decorator';
import { AuthMode } from './auth-mode';
import { presentedKey, sameSecret } from './credentials';
import type { AuthRequest, KeyPrincipal } from './key-principal';
import { PUBLIC_ROUTE } from './public.decorator';
import { REQUIRED_SCOPE, type ScopeRequirement } from './requires-scope.decorator';
import { SIGNED_REQUEST_ROUTE } from './signed-request.decorator';

/** A handler without @RequiresScope or @Public: admin only. */
const UNDECLARED: ScopeRequirement = { anyOf: ['admin'], names: () => 'all' };

const MISSING = 'missing API key: send Authorization: Bearer <key> or x-api-key: <key>';
const WRONG = 'wrong API key in Authorization or x-api-key';

/**
 * The one auth decision, made for the handler Express matched — never on the
 * raw path, so `/V1/queues`, `/v1/queues/` or any other spelling that reaches
 * a handler meets the same check, and one that reaches none is a 404.
 *
 * Keys: POSTBOX_API_KEY (env, the bootstrap admin key), POSTBOX_METRICS_KEY
 * (env, /metrics only), and the stored keys (`pbk_…`, POST /v1/keys). With
 * none of them configured the service runs open (dev mode) — the first key
 * created closes it (auth-mode.ts).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authMode: AuthMode,
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(SERVER_OPTIONS) private readonly options: ServerOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    // The handler verifies its own request signature (SQS: SigV4) and answers in its protocol's shape.
    if (this.reflector.getAllAndOverride<string>(SIGNED_REQUEST_ROUTE, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthRequest>();
    const acceptsMetricsKey = this.reflector.get<boolean>(ACCEPTS_METRICS_KEY, context.getHandler()) === true;
    const given = presentedKey(req);

    const principal = given === undefined ? null : await this.principalFor(given, acceptsMetricsKey);
    if (principal === null) {
      const closed = (acceptsMetricsKey && this.options.metricsKey !== null) || (await this.authMode.on());
      if (closed) throw new UnauthorizedException(given === undefined ? MISSING : WRONG);
      req.postboxKey = null; // dev mode: no key configured anywhere
      return true;
    }

    const required = this.reflector.getAllAndOverride<ScopeRequirement>(REQUIRED_SCOPE, targets) ?? UNDECLARED;
    if (!scopesCover(principal.scopes, required.anyOf)) {
      throw new ForbiddenException(
        `API key "${principal.name}" lacks the ${required.anyOf.join(' or ')} scope this route needs`,
      );
    }
    if (principal.names !== null && principal.names !== '*') {
      const names = await required.names(req, this.postbox);
      if (names === 'all') {
        throw new ForbiddenException(
          `API key "${principal.name}" is limited to "${principal.names}"; this route needs a key for every name`,
        );
      }
      const outside = names.find((name) => !nameMatches(principal.names, name));
      if (outside !== undefined) {
        throw new ForbiddenException(
          `API key "${principal.name}" does not cover "${outside}" (it is limited to "${principal.names}")`,
        );
      }
    }
    req.postboxKey = principal;
    return true;
  }

  private async principalFor(given: string, acceptsMetricsKey: boolean): Promise<KeyPrincipal | null> {
    const { apiKey, metricsKey } = this.options;
    if (apiKey !== null && sameSecret(given, apiKey))
      return { name: 'POSTBOX_API_KEY', scopes: ['admin'], names: null };
    if (acceptsMetricsKey && metricsKey !== null && sameSecret(given, metricsKey)) {
      return { name: 'POSTBOX_METRICS_KEY', scopes: ['read'], names: null };
    }
    const stored = await verifyKey(this.postbox.db, given, { schema: this.postbox.schema });
    if (stored) this.authMode.keysSeen();
    return stored && { name: stored.name, scopes: stored.scopes, names: stored.names };
  }
}
