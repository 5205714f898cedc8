import { Module } from '@nestjs/common';
import { parseRelayConfigs, RELAY_CONFIGS, RelaysService } from './relays.provider';

/** The outbox relays to RabbitMQ configured by POSTBOX_RELAYS (relays.provider.ts). */
@Module({
  providers: [RelaysService, { provide: RELAY_CONFIGS, useFactory: () => parseRelayConfigs() }],
  exports: [RelaysService],
})
export class RelaysModule {}
