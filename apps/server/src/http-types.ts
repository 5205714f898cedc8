import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The few Express request/response members the service uses, typed here so
 * the project needs no @types/express (Express 5 ships no types of its own).
 */
export interface HttpRequest extends IncomingMessage {
  path: string;
  baseUrl: string;
  /** The matched route, once Express routed the request. */
  route?: { path: string };
}

export interface HttpResponse extends ServerResponse {
  status(code: number): this;
  json(body: unknown): this;
}

export type NextFunction = (error?: unknown) => void;
