import { Inject, Injectable } from '@nestjs/common';
import { findSigningKey, type KeyScope, nameMatches, type Postbox, scopesCover } from 'postbox';
import { AuthMode } from '../auth/auth-mode';
import { POSTBOX, SERVER_OPTIONS } from '../postbox.provider';
import type { ServerOptions } from '../server-options';

/** A signing key as the endpoint sees it: its secret and what it may do. */
export interface SqsCredential {
  secret: string;
  allows(action: string, queue: string | null): boolean;
  /** Whether its names glob covers every queue (a move back to where each dead letter came from may reach any). */
  coversEveryName(): boolean;
}

/**
 * Where access key ids are looked up. `configured()` false means no keys
 * exist at all: the endpoint then runs open (dev mode, as the REST API) and
 * accepts any signature or none.
 */
export interface SqsCredentials {
  configured(): Promise<boolean>;
  lookup(accessKeyId: string): Promise<SqsCredential | null>;
}

export const SQS_CREDENTIALS = Symbol('SQS_CREDENTIALS');

/** The scope each SQS action needs: the same four scopes as the REST routes. */
const ACTION_SCOPES: Record<string, readonly KeyScope[]> = {
  SendMessage: ['produce'],
  SendMessageBatch: ['produce'],
  ReceiveMessage: ['consume'],
  DeleteMessage: ['consume'],
  DeleteMessageBatch: ['consume'],
  ChangeMessageVisibility: ['consume'],
  ChangeMessageVisibilityBatch: ['consume'],
  GetQueueUrl: ['read', 'produce', 'consume'],
  GetQueueAttributes: ['read', 'consume'],
  ListQueues: ['read', 'produce', 'consume'],
  ListDeadLetterSourceQueues: ['read'],
  // As the REST routes: POST /v1/queues/:queue/purge and …/move need admin, GET /v1/tasks/:id read.
  PurgeQueue: ['admin'],
  StartMessageMoveTask: ['admin'],
  CancelMessageMoveTask: ['admin'],
  ListMessageMoveTasks: ['read'],
};
const ADMIN_ONLY: readonly KeyScope[] = ['admin'];

/**
 * Access key ids are Postbox API keys: `postbox` with POSTBOX_API_KEY as the
 * secret (the bootstrap admin key), or a stored key's `pbk_<id>` with the
 * secretAccessKey POST /v1/keys returned (keys/signing-key.ts). A stored
 * key's scopes and names glob apply per action and queue; looked up on
 * every request, so a revoke holds at once.
 */
@Injectable()
export class ApiKeyCredentials implements SqsCredentials {
  static readonly BOOTSTRAP_ACCESS_KEY_ID = 'postbox';

  constructor(
    @Inject(SERVER_OPTIONS) private readonly options: ServerOptions,
    @Inject(POSTBOX) private readonly postbox: Postbox,
    private readonly authMode: AuthMode,
  ) {}

  configured(): Promise<boolean> {
    return this.authMode.on();
  }

  async lookup(accessKeyId: string): Promise<SqsCredential | null> {
    const bootstrap = this.options.apiKey;
    if (accessKeyId === ApiKeyCredentials.BOOTSTRAP_ACCESS_KEY_ID) {
      return bootstrap ? { secret: bootstrap, allows: () => true, coversEveryName: () => true } : null;
    }
    const found = await findSigningKey(this.postbox.db, accessKeyId, { schema: this.postbox.schema });
    if (!found) return null;
    const { scopes, names } = found.key;
    return {
      secret: found.secretAccessKey,
      allows: (action, queue) =>
        scopesCover(scopes, ACTION_SCOPES[action] ?? ADMIN_ONLY) && (queue === null || nameMatches(names, queue)),
      coversEveryName: () => names === null || names === '*',
    };
  }
}
