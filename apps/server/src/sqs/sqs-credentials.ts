import { Inject, Injectable } from '@nestjs/common';
import { SERVER_OPTIONS } from '../postbox.provider';
import type { ServerOptions } from '../server-options';

/** A signing key as the endpoint sees it: its secret and what it may do. */
export interface SqsCredential {
  secret: string;
  allows(action: string, queue: string | null): boolean;
}

/**
 * Where access key ids are looked up. `configured` false means no keys exist
 * at all: the endpoint then runs open (dev mode, as the REST API without
 * POSTBOX_API_KEY) and accepts any signature or none.
 */
export interface SqsCredentials {
  readonly configured: boolean;
  lookup(accessKeyId: string): Promise<SqsCredential | null>;
}

export const SQS_CREDENTIALS = Symbol('SQS_CREDENTIALS');

/**
 * The bootstrap key POSTBOX_API_KEY as access key id `postbox` with the key
 * as its secret, allowed everything (it is the admin key). Scoped DB keys
 * replace this provider once they exist.
 */
@Injectable()
export class BootstrapKeyCredentials implements SqsCredentials {
  static readonly ACCESS_KEY_ID = 'postbox';

  constructor(@Inject(SERVER_OPTIONS) private readonly options: ServerOptions) {}

  get configured(): boolean {
    return Boolean(this.options.apiKey);
  }

  async lookup(accessKeyId: string): Promise<SqsCredential | null> {
    const secret = this.options.apiKey;
    if (!secret || accessKeyId !== BootstrapKeyCredentials.ACCESS_KEY_ID) return null;
    return { secret, allows: () => true };
  }
}
