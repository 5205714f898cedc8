import { InvalidInputError } from '../errors';

/**
 * What a key may do. admin: everything, keys included. produce: send,
 * publish, prepare/commit/rollback half messages. consume: receive, ack,
 * nack, extend, peek. read: the GET routes (stats, lists, peek, metrics).
 */
export const KEY_SCOPES = ['admin', 'produce', 'consume', 'read'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/** A `names` glob: the queue-name characters plus `*`, at most 128 characters. */
export const NAMES_GLOB_PATTERN = /^[a-zA-Z0-9._*-]{1,128}$/;

export function checkScopes(scopes: unknown): KeyScope[] {
  if (!Array.isArray(scopes) || scopes.length === 0) {
    throw new InvalidInputError('scopes', `must be a non-empty array of ${KEY_SCOPES.join(', ')}`);
  }
  for (const scope of scopes) {
    if (!KEY_SCOPES.includes(scope)) {
      throw new InvalidInputError('scopes', `must hold only ${KEY_SCOPES.join(', ')}, got ${JSON.stringify(scope)}`);
    }
  }
  return [...new Set(scopes as KeyScope[])];
}

export function checkNamesGlob(names: unknown): string {
  if (typeof names !== 'string' || !NAMES_GLOB_PATTERN.test(names)) {
    throw new InvalidInputError('names', `must match ${NAMES_GLOB_PATTERN.source}`);
  }
  return names;
}

/** True when a key holding `held` may act where any one of `anyOf` is required; admin covers every scope. */
export function scopesCover(held: readonly KeyScope[], anyOf: readonly KeyScope[]): boolean {
  return held.includes('admin') || anyOf.some((scope) => held.includes(scope));
}

/**
 * The `names` rule, in one place. A glob of exactly `*` (or no glob: null)
 * matches every name. Otherwise `*` matches any run of characters within one
 * dot-separated segment: `orders.*` covers `orders.eu` and `orders.eu-1` but
 * not `orders` nor `orders.eu.billing` (write `orders.*.*` for those); every
 * other character matches itself. Topic groups' queues are `<topic>.<group>`,
 * so a key for topic `orders` and its groups is `orders` + `orders.*` — two
 * keys, or the wider `orders*` … which also matches `ordersX`: choose.
 */
export function nameMatches(glob: string | null, name: string): boolean {
  if (glob === null || glob === '*') return true;
  // Compiled per call (about a microsecond): no module-level cache to keep.
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.-]/g, '\\$&'))
    .join('[^.]*');
  return new RegExp(`^${source}$`).test(name);
}
