import { Module } from '@nestjs/common';
import { QueueReplayController } from './queue-replay.controller';
import { TopicsController } from './topics.controller';

/** Pub/sub routes and queue replay. (Archive maintenance is the library's: maintenance/maintenance.ts.) */
@Module({
  controllers: [TopicsController, QueueReplayController],
})
export class TopicsModule {}
