import { createHash, timingSafeEqual } from 'node:crypto';

import type { HttpRequest } from '../http-types';

/** The key a request presents: `Authorization: Bearer <key>` first, else `x-api-key: <key>`. */
export function presentedKey(req: HttpRequest): string | undefined {
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer[ ]+(.+)$/i.exec(authorization.trim());
    if (match) return (match[1] as string).trim();
  }
  const header = req.headers['x-api-key'];
  return typeof header === 'string' && header !== '' ? header : undefined;
}

/**
 * Constant time, length included: both sides are hashed to 32 bytes first,
 * so neither the time nor an early length mismatch tells how much was right.
 */
export function sameSecret(given: string, expected: string): boolean {
  // Hashing both sides first makes the comparison constant-time in the length too.
  const sha256 = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(sha256(given), sha256(expected));
}
