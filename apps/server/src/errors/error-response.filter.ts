import { STATUS_CODES } from 'node:http';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ConflictError, InvalidInputError, MessageTooLargeError, NotFoundError, QueueFullError } from 'postbox';
import type { HttpResponse } from '../http-types';
import { isDatabaseUnavailable } from './database-unavailable';

/** The one error shape of API.md: `{statusCode, error, message}`. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

function body(statusCode: number, message: string): ErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

function httpExceptionMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return exception.message;
}

/** Maps whatever a request threw to its status and the API's error body. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof HttpException) return body(exception.getStatus(), httpExceptionMessage(exception));
  if (exception instanceof InvalidInputError) return body(400, exception.message);
  if (exception instanceof NotFoundError) return body(404, exception.message);
  if (exception instanceof ConflictError) return body(409, exception.message);
  if (exception instanceof MessageTooLargeError) return body(413, exception.message);
  if (exception instanceof QueueFullError) return body(429, exception.message);
  if (isDatabaseUnavailable(exception)) {
    return body(503, 'database unreachable; the request did nothing and is safe to retry');
  }
  return body(500, 'internal error');
}

/**
 * Every error of every route (and of the body parser, the guards and the
 * 404 handler) leaves through here, so clients see one shape.
 */
@Catch()
export class ErrorResponseFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorResponseFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<HttpResponse>();
    const errorBody = toErrorBody(exception);
    if (errorBody.statusCode >= 500) {
      const level = errorBody.statusCode === 503 ? 'warn' : 'error';
      this.logger[level](exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    } else {
      // Client errors at info, one line each (the request log is debug-only).
      const request = host.switchToHttp().getRequest<{ method?: string; url?: string }>();
      this.logger.log(`${request.method} ${request.url} → ${errorBody.statusCode}: ${errorBody.message}`);
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    response.status(errorBody.statusCode).json(errorBody);
  }
}
