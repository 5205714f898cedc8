import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { HttpRequest, NextFunction } from '../http-types';

/** The two content types SQS clients send: AWS JSON 1.0 and the query protocol's form. */
export function sqsProtocolOf(contentType: string | undefined): 'json' | 'query' | null {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-amz-json-1.0') return 'json';
  if (type === 'application/x-www-form-urlencoded') return 'query';
  return null;
}

/**
 * SQS requests carry about 1 MiB at most (a message or a batch of them);
 * form encoding can nearly triple that, so 3 MiB.
 */
export const SQS_BODY_LIMIT = 3 * 1024 * 1024;

export interface SqsRequest extends HttpRequest {
  originalUrl: string;
  /** The raw body, exactly as sent (SigV4 signs these bytes); null when larger than SQS_BODY_LIMIT. */
  sqsBody?: Buffer | null;
}

/**
 * Reads the raw body of SQS requests (POST / and POST /<account>/<queue>
 * with an SQS content type): the signature covers the bytes, and neither
 * content type is JSON, so the app's JSON parser leaves them alone.
 */
@Injectable()
export class SqsRawBodyMiddleware implements NestMiddleware {
  use(req: SqsRequest, _res: unknown, next: NextFunction): void {
    if (sqsProtocolOf(req.headers['content-type']) === null || req.sqsBody !== undefined) {
      next();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (body: Buffer | null) => {
      if (done) return;
      done = true;
      req.sqsBody = body;
      next();
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= SQS_BODY_LIMIT) chunks.push(chunk);
      // Answer at once rather than read an oversized body to its end; Node drops the rest with the connection.
      else finish(null);
    });
    req.on('end', () => finish(Buffer.concat(chunks)));
    req.on('error', (error) => {
      if (!done) {
        done = true;
        next(error);
      }
    });
  }
}

const SQS_PATH = /^\/(\d{12}\/[^/]+)?$/;

/**
 * The requests the SQS endpoint reads itself: POST to `/` or to a queue URL
 * path (`/<12-digit account>/<queue>`) with an SQS content type. The app's
 * strict JSON reader skips exactly these (every other non-JSON body is a 415).
 */
export function isSqsRequest(req: HttpRequest): boolean {
  return req.method === 'POST' && SQS_PATH.test(req.path) && sqsProtocolOf(req.headers['content-type']) !== null;
}
