import type { KeyScope } from 'postbox';
import type { HttpRequest } from '../http-types';

/** Who a request acts as, once the guard let it in. */
export interface KeyPrincipal {
  /** The stored key's name, or POSTBOX_API_KEY / POSTBOX_METRICS_KEY for the env keys. */
  name: string;
  scopes: readonly KeyScope[];
  /** Glob of the queues and topics it may touch; null = all. */
  names: string | null;
}

/** What the guard reads from Express and leaves on the request. */
export interface AuthRequest extends HttpRequest {
  params: Record<string, string | undefined>;
  body?: unknown;
  /** Set by the guard: the key's principal; null when auth is off (dev mode: no key configured anywhere). */
  postboxKey?: KeyPrincipal | null;
}

/** True when the request may see every queue and topic: auth off, or a key without a names glob. */
export function seesAllNames(principal: KeyPrincipal | null | undefined): boolean {
  return !principal || principal.names === null || principal.names === '*';
}
