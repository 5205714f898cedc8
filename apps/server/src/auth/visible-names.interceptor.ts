import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { nameMatches } from 'postbox';
import { map, type Observable } from 'rxjs';
import { type AuthRequest, seesAllNames } from './key-principal';

/** Drops from a list answer the items (`{name, …}`) a names-limited key may not see. */
@Injectable()
export class VisibleNamesInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const principal = context.switchToHttp().getRequest<AuthRequest>().postboxKey;
    if (seesAllNames(principal)) return next.handle();
    const glob = principal?.names ?? null;
    return next
      .handle()
      .pipe(
        map((items: unknown) =>
          Array.isArray(items)
            ? items.filter((item: { name?: unknown }) => typeof item?.name === 'string' && nameMatches(glob, item.name))
            : items,
        ),
      );
  }
}

/** On a list route: a key limited by a names glob sees only the queues/topics it covers. */
export const ShowsOnlyKeyNames = (): MethodDecorator => UseInterceptors(VisibleNamesInterceptor);
