import { Body, Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { RequiresScope } from '../auth/requires-scope.decorator';
import { POSTBOX, type Postbox } from '../postbox.provider';
import { QueueParams } from '../queues/dto/queue-params.dto';
import { ReplayDto, ReplayResultView } from './dto/replay.dto';

/** POST /v1/queues/:queue/replay: the queue gets again every archived message enqueued since `from`. */
@ApiTags('queues')
@Controller('v1/queues/:queue')
export class QueueReplayController {
  constructor(@Inject(POSTBOX) private readonly postbox: Postbox) {}

  @Post('replay')
  @HttpCode(200)
  @ApiOkResponse({
    type: ReplayResultView,
    description: 'Re-delivered messages; only queues with retentionMs keep acked messages',
  })
  @ApiNotFoundResponse({ description: 'Unknown queue' })
  @RequiresScope('admin')
  replay(@Param() { queue }: QueueParams, @Body() dto: ReplayDto): Promise<ReplayResultView> {
    return this.postbox.replay(queue, { from: dto.from });
  }
}
