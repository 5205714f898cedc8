import { SetMetadata } from '@nestjs/common';

export const SIGNED_REQUEST_ROUTE = 'postbox:signed-request';

/**
 * Marks a handler that authenticates every request itself, by a signature
 * over the request (the SQS endpoint: SigV4, verify-sigv4.ts), so the bearer
 * key guard steps aside. Not "public": the handler refuses unsigned requests
 * whenever keys are configured, with the protocol's own error shape.
 */
export const SignedRequest = (scheme: 'SigV4'): MethodDecorator & ClassDecorator =>
  SetMetadata(SIGNED_REQUEST_ROUTE, scheme);
