import { Module } from '@nestjs/common';
import { ArchiveMaintenance } from './archive-maintenance';
import { QueueReplayController } from './queue-replay.controller';
import { TopicsController } from './topics.controller';

/** Pub/sub routes, queue replay, and the periodic archive maintenance. */
@Module({
  controllers: [TopicsController, QueueReplayController],
  providers: [ArchiveMaintenance],
})
export class TopicsModule {}
