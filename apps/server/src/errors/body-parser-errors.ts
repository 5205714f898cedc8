import { BadRequestException } from '@nestjs/common';
import type { HttpRequest, HttpResponse, NextFunction } from '../http-types';

function describeBodyError(error: unknown, limit: string): unknown {
  const type = (error as { type?: unknown } | null)?.type;
  const detail = error instanceof Error ? error.message : String(error);
  switch (type) {
    case 'entity.too.large':
      return new BadRequestException(`body must not be larger than ${limit}`);
    case 'entity.parse.failed':
      return new BadRequestException(`body is not valid JSON: ${detail}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new BadRequestException(`body has an unsupported encoding: ${detail}`);
    case 'request.aborted':
    case 'request.size.invalid':
      return new BadRequestException(`body was incomplete: ${detail}`);
    default:
      return error;
  }
}

/**
 * Turns body-parser's errors into 400s that name the body, before Nest's
 * error handler sees them. API.md answers a too-large body with 400, not
 * body-parser's 413, so clients handle one status for every bad input.
 */
export function bodyParserErrors(limit: string) {
  return (error: unknown, _req: HttpRequest, _res: HttpResponse, next: NextFunction): void => {
    next(describeBodyError(error, limit));
  };
}
