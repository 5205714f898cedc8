import { randomUUID } from 'node:crypto';
import { Controller, HttpCode, Inject, Logger, NotFoundException, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import {
  ConflictError,
  InvalidInputError,
  MessageTooLargeError,
  NotFoundError,
  type Postbox,
  QueueNotFoundError,
} from 'postbox';
import { SignedRequest } from '../auth/signed-request.decorator';
import { isDatabaseUnavailable } from '../errors/database-unavailable';
import type { HttpResponse } from '../http-types';
import { POSTBOX } from '../postbox.provider';
import { parseQueryRequest, queryErrorResponse, queryResponse } from './query-protocol';
import { SQS_ACTIONS } from './sqs-actions';
import { queueNameFromUrl, type SqsContext } from './sqs-context';
import { SQS_CREDENTIALS, type SqsCredentials } from './sqs-credentials';
import { SqsError, sqsErrors } from './sqs-error';
import type { SqsInput } from './sqs-input';
import { SqsLongPolls } from './sqs-long-polls';
import { SQS_OPTIONS, type SqsOptions } from './sqs-options';
import { type SqsRequest, sqsProtocolOf } from './sqs-raw-body.middleware';
import { verifySigV4 } from './verify-sigv4';

type Protocol = 'json' | 'query';

/**
 * The SQS-compatible endpoint: POST / (and POST /<account>/<queue>, the
 * queue URL, which older SDKs post to) in the AWS JSON 1.0 protocol
 * (X-Amz-Target: AmazonSQS.<Action>) or the query protocol (Action=… form,
 * XML answers). Each request: SigV4 check, the key's scope, then one action
 * of sqs-actions.ts, each a thin call into the Postbox.
 */
@ApiExcludeController()
@SignedRequest('SigV4')
@Controller()
export class SqsController {
  private readonly logger = new Logger('SqsEndpoint');

  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(SQS_OPTIONS) private readonly options: SqsOptions,
    @Inject(SQS_CREDENTIALS) private readonly credentials: SqsCredentials,
    private readonly longPolls: SqsLongPolls,
  ) {}

  @Post()
  @HttpCode(200)
  async atRoot(@Req() req: SqsRequest, @Res() res: HttpResponse): Promise<void> {
    await this.serve(req, res, null);
  }

  @Post(':account/:queue')
  @HttpCode(200)
  async atQueueUrl(@Req() req: SqsRequest, @Res() res: HttpResponse): Promise<void> {
    const [account, queue] = req.path.split('/').filter(Boolean);
    // Only <account>/<queue> paths of this endpoint's account are queue URLs; the rest is the API's 404.
    if (account !== this.options.accountId || !queue || sqsProtocolOf(req.headers['content-type']) === null) {
      throw new NotFoundException(`Cannot POST ${req.path}`);
    }
    let name: string;
    try {
      name = decodeURIComponent(queue);
    } catch {
      throw new NotFoundException(`Cannot POST ${req.path}`);
    }
    await this.serve(req, res, name);
  }

  private async serve(req: SqsRequest, res: HttpResponse, pathQueue: string | null): Promise<void> {
    const requestId = randomUUID();
    const protocol: Protocol = sqsProtocolOf(req.headers['content-type']) ?? 'json';
    let action = 'Unknown';
    let queue: string | null = pathQueue;
    try {
      if (sqsProtocolOf(req.headers['content-type']) === null) {
        throw new SqsError(
          'UnsupportedMediaType',
          'Send application/x-amz-json-1.0 (AWS JSON) or application/x-www-form-urlencoded (query protocol).',
          415,
        );
      }
      if (req.sqsBody === null) throw sqsErrors.batchRequestTooLong(1_048_576);
      const body = req.sqsBody ?? Buffer.alloc(0);
      const credential = await verifySigV4(
        { method: req.method ?? 'POST', url: req.originalUrl, headers: req.headers, body },
        this.credentials,
      );
      let input: SqsInput;
      if (protocol === 'json') {
        const target = String(req.headers['x-amz-target'] ?? '');
        action = target.startsWith('AmazonSQS.') ? target.slice('AmazonSQS.'.length) : target;
        input = parseJsonInput(body);
      } else {
        const parsed = parseQueryRequest(body);
        action = parsed.action ?? '';
        input = parsed.input;
      }
      const handler = Object.hasOwn(SQS_ACTIONS, action) ? SQS_ACTIONS[action] : undefined;
      if (!handler) throw sqsErrors.invalidAction(action || '(none)');
      if (typeof input.QueueUrl === 'string') queue = queueNameFromUrl(input.QueueUrl);
      if ((action === 'CreateQueue' || action === 'GetQueueUrl') && typeof input.QueueName === 'string') {
        queue = input.QueueName;
      }
      if (credential && !credential.allows(action, queue)) throw sqsErrors.accessDenied(action, queue);
      const ctx: SqsContext = {
        postbox: this.postbox,
        options: this.options,
        origin: `${(req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'}://${req.headers.host}`,
        queue,
        allows: (a, q) => credential === null || credential.allows(a, q),
        allowsEveryName: (a) => credential === null || (credential.allows(a, null) && credential.coversEveryName()),
        longPolls: this.longPolls,
        res,
      };
      const result = await handler(ctx, input);
      this.answer(
        res,
        protocol,
        200,
        requestId,
        protocol === 'json' ? JSON.stringify(result) : queryResponse(action, result, requestId),
      );
    } catch (error) {
      const sqsError = this.toSqsError(error, queue);
      if (sqsError.status >= 500)
        this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      if (protocol === 'json') {
        res.setHeader('x-amzn-query-error', `${sqsError.queryCode};${sqsError.fault}`);
        const body = JSON.stringify({ __type: `com.amazonaws.sqs#${sqsError.code}`, message: sqsError.message });
        this.answer(res, protocol, sqsError.status, requestId, body);
      } else {
        this.answer(res, protocol, sqsError.status, requestId, queryErrorResponse(sqsError, requestId));
      }
    }
  }

  private answer(res: HttpResponse, protocol: Protocol, status: number, requestId: string, body: string): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    res.statusCode = status;
    res.setHeader('content-type', protocol === 'json' ? 'application/x-amz-json-1.0' : 'text/xml');
    res.setHeader('x-amzn-requestid', requestId);
    res.end(body);
  }

  private toSqsError(error: unknown, queue: string | null): SqsError {
    if (error instanceof SqsError) return error;
    if (error instanceof QueueNotFoundError) return sqsErrors.queueDoesNotExist(error.queue);
    if (error instanceof NotFoundError) return sqsErrors.queueDoesNotExist(queue ?? '');
    if (error instanceof InvalidInputError) return sqsErrors.invalidParameterValue(error.message);
    // The core's size check, the backstop of the endpoint's own (queue-attributes.ts): SQS's wording, the core's reason.
    if (error instanceof MessageTooLargeError) {
      return sqsErrors.invalidParameterValue(`One or more parameters are invalid. Reason: ${error.message}.`);
    }
    if (error instanceof ConflictError) return sqsErrors.queueNameExists(queue ?? '');
    if (isDatabaseUnavailable(error)) return sqsErrors.serviceUnavailable();
    return sqsErrors.internalError();
  }
}

function parseJsonInput(body: Buffer): SqsInput {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new SqsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SqsError('SerializationException', 'The request body must be a JSON object.');
  }
  return parsed as SqsInput;
}
