import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type Relay, type RelayOptions, startRelay } from 'postbox';
import { POSTBOX, type Postbox } from '../postbox.provider';

/** Injection token of the relay configs the service runs (from POSTBOX_RELAYS unless a test provides them). */
export const RELAY_CONFIGS = Symbol('RELAY_CONFIGS');

/** What one POSTBOX_RELAYS entry may hold: the relay options that JSON can carry (no callbacks). */
const RELAY_KEYS = new Set([
  'queue',
  'topic',
  'group',
  'url',
  'connection',
  'exchange',
  'routingKey',
  'mandatory',
  'concurrency',
  'batchSize',
  'visibilityTimeoutMs',
  'pollIntervalMs',
  'reconnect',
]);

/**
 * Reads POSTBOX_RELAYS: a JSON array of relay configs, e.g.
 * `[{"queue":"orders","url":"amqp://guest:guest@rabbit:5672","exchange":"orders","routingKey":{"header":"type"}}]`.
 * Set by the operator only (never by API callers), so the broker addresses
 * are the operator's choice. Unset or empty: no relays. A malformed value
 * stops the service at start, naming the entry and the key.
 */
export function parseRelayConfigs(env: NodeJS.ProcessEnv = process.env): RelayOptions[] {
  const raw = env.POSTBOX_RELAYS?.trim();
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new Error(`POSTBOX_RELAYS must be a JSON array of relay configs: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new Error('POSTBOX_RELAYS must be a JSON array of relay configs');
  return parsed.map((entry, i) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new Error(`POSTBOX_RELAYS[${i}] must be an object`);
    }
    for (const key of Object.keys(entry)) {
      if (!RELAY_KEYS.has(key)) throw new Error(`POSTBOX_RELAYS[${i}].${key} is not a relay option`);
    }
    return entry as RelayOptions;
  });
}

/** The broker address without its credentials, for logs. */
function brokerOf(config: RelayOptions): string {
  if (config.url) return config.url.replace(/\/\/[^@/]*@/, '//');
  const c = config.connection ?? {};
  return `${c.hostname ?? 'localhost'}:${c.port ?? 5672}`;
}

/**
 * Runs the configured relays while the service is up: each started on
 * bootstrap (a bad config or a missing queue stops the start, naming the
 * relay), each stopped gracefully on shutdown (confirms under way finish and
 * are acked; the rest waits for its lease). Every service instance runs them;
 * the instances compete for messages like any consumers.
 */
@Injectable()
export class RelaysService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Relay');
  private readonly relays: Relay[] = [];

  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(RELAY_CONFIGS) private readonly configs: RelayOptions[],
  ) {}

  get running(): readonly Relay[] {
    return this.relays;
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const [i, config] of this.configs.entries()) {
      const name = config.queue ?? `${config.topic}/${config.group}`;
      try {
        const relay = await startRelay(this.postbox, {
          ...config,
          onError: (error) => this.logger.warn(`relay ${name}: ${error instanceof Error ? error.message : error}`),
        });
        this.relays.push(relay);
        this.logger.log(`relaying ${relay.queue} to exchange "${config.exchange}" on ${brokerOf(config)}`);
      } catch (error) {
        await this.onModuleDestroy();
        throw new Error(`POSTBOX_RELAYS[${i}] (${name}) did not start: ${(error as Error).message}`);
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    const relays = this.relays.splice(0);
    await Promise.all(relays.map((relay) => relay.stop({ timeoutMs: 10_000 })));
  }
}
