import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { AuthRequest } from '../auth/key-principal';
import type { NameSource } from '../auth/name-sources';
import { RequiresScope } from '../auth/requires-scope.decorator';
import type { HttpResponse } from '../http-types';
import { HistoryQuery } from './history-query.dto';
import { sparklineSpan, sparklines } from './sparklines';
import type { Sample } from './stats-history';
import { StatsSampler } from './stats-sampler';
import { type ChartPoint, queuePoint, visibleGlob, visibleSample } from './visible-sample';

/** A heartbeat comment keeps proxies from closing an idle stream (nginx's default read timeout is 60 s). */
const HEARTBEAT_MS = 20_000;

/**
 * A sample's event as one key glob sees it, serialized once however many
 * viewers share that glob (a WeakMap: it goes with the sample).
 */
const serialized = new WeakMap<Sample, Map<string | null, string>>();
function eventText(sample: Sample, glob: string | null): string {
  let byGlob = serialized.get(sample);
  if (!byGlob) {
    byGlob = new Map();
    serialized.set(sample, byGlob);
  }
  let text = byGlob.get(glob);
  if (text === undefined) {
    text = `event: sample\ndata: ${JSON.stringify(visibleSample(sample, glob))}\n\n`;
    byGlob.set(glob, text);
  }
  return text;
}

/** ?queue= names the queue a limited key must cover; the totals filter instead. */
const historyQueueName: NameSource = (req) => {
  const queue = new URL(req.url ?? '/', 'http://x').searchParams.get('queue');
  return queue === null ? [] : [queue];
};

/**
 * What the dashboard reads besides the REST API: the sampled history (kept
 * in memory by StatsSampler, so a reload shows the last hour) and a stream
 * of new samples pushed as Server-Sent Events. Both answer from memory: a
 * thousand open dashboards cost no query.
 */
@ApiTags('dashboard')
@ApiBearerAuth()
@ApiSecurity('x-api-key')
@Controller('v1/dashboard')
export class DashboardEventsController {
  constructor(private readonly sampler: StatsSampler) {}

  @Get('me')
  @RequiresScope(['read', 'produce', 'consume'], () => [])
  @ApiOkResponse({ description: '{name, scopes, names}: the key the request came with (dev mode: open, every scope)' })
  me(@Req() req: AuthRequest): { name: string | null; scopes: readonly string[]; names: string | null } {
    const key = req.postboxKey;
    return key
      ? { name: key.name, scopes: key.scopes, names: key.names }
      : { name: null, scopes: ['admin'], names: null };
  }

  @Get('history')
  @RequiresScope('read', historyQueueName)
  @ApiOkResponse({
    description:
      '{sampleMs, points: [{at, ready, delayed, inFlight, dead, oldestReadyAgeMs, sent?, acked?, deadLettered?}]}',
  })
  history(@Query() query: HistoryQuery, @Req() req: AuthRequest): { sampleMs: number; points: ChartPoint[] } {
    const glob = visibleGlob(req.postboxKey);
    const samples = this.sampler.history.samples();
    const points =
      query.queue === undefined
        ? samples.filter((s) => !s.error).map((s) => visibleSample(s, glob).total)
        : samples.flatMap((s) => queuePoint(s, query.queue as string) ?? []);
    return { sampleMs: this.sampler.sampleMs, points };
  }

  @Get('sparklines')
  @RequiresScope('read', () => [])
  @ApiOkResponse({
    description:
      '{from, to, queues: {name: [waiting messages, 60 points from `from` to `to`]}} for the queues the key sees',
  })
  sparklines(@Req() req: AuthRequest): { from: number; to: number; queues: Record<string, (number | null)[]> } {
    const samples = this.sampler.history.samples();
    const now = Date.now();
    return { ...sparklineSpan(samples, now), queues: sparklines(samples, visibleGlob(req.postboxKey), now) };
  }

  @Get('events')
  @RequiresScope('read', () => [])
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'Server-Sent Events: `sample` with the queues, half messages and totals the key sees' })
  events(@Req() req: AuthRequest, @Res() res: HttpResponse): void {
    const glob = visibleGlob(req.postboxKey);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (sample: Sample) => {
      res.write(eventText(sample, glob));
    };
    res.write(`retry: ${this.sampler.sampleMs}\n\n`);
    const latest = this.sampler.history.latest();
    if (latest) send(latest);
    const unsubscribe = this.sampler.subscribe(send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const end = () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.sampler.streams.delete(end);
      if (!res.writableEnded) res.end();
    };
    this.sampler.streams.add(end);
    res.once('close', end);
  }
}
