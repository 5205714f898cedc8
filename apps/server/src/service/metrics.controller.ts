import { Controller, Get, Header, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { nameMatches } from 'postbox';
import { AcceptsMetricsKey } from '../auth/accepts-metrics-key.decorator';
import { type AuthRequest, seesAllNames } from '../auth/key-principal';
import { RequiresScope } from '../auth/requires-scope.decorator';
import { ServiceMetrics } from './service-metrics';

const QUEUE_LABEL = /[{,]queue="([^"]*)"/;

/**
 * Keeps only the series a names-limited key may see: every line labelled
 * with a queue it does not cover goes. Filtering the finished text (rather
 * than the registry) keeps a concurrent scrape by a wider key from leaking
 * into this one. Queue names hold no `"` or `\`, so the label is read as is.
 */
function visibleSeries(text: string, glob: string | null): string {
  return text
    .split('\n')
    .filter((line) => {
      const queue = QUEUE_LABEL.exec(line)?.[1];
      return queue === undefined || nameMatches(glob, queue);
    })
    .join('\n');
}

@ApiTags('service')
@ApiBearerAuth()
@ApiSecurity('x-api-key')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: ServiceMetrics) {}

  @Get()
  @RequiresScope('read', () => [])
  @AcceptsMetricsKey()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text format; a names-limited key sees only its queues' })
  async scrape(@Req() req: AuthRequest): Promise<string> {
    const text = await this.metrics.scrape();
    const principal = req.postboxKey;
    return seesAllNames(principal) ? text : visibleSeries(text, principal?.names ?? null);
  }
}
