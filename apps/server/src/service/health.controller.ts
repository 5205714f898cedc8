import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ping } from 'postbox';
import { Public } from '../auth/public.decorator';
import type { HttpResponse } from '../http-types';
import { POSTBOX, type Postbox, SERVER_OPTIONS } from '../postbox.provider';
import type { ServerOptions } from '../server-options';

@ApiTags('service')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(POSTBOX) private readonly postbox: Postbox,
    @Inject(SERVER_OPTIONS) private readonly options: ServerOptions,
  ) {}

  @Public()
  @Get()
  @ApiOkResponse({ schema: { example: { status: 'ok', db: 'up' } } })
  @ApiServiceUnavailableResponse({ schema: { example: { status: 'error', db: 'down' } } })
  async health(@Res({ passthrough: true }) res: HttpResponse): Promise<{ status: 'ok' | 'error'; db: 'up' | 'down' }> {
    if (await ping(this.postbox.db, this.options.healthTimeoutMs)) return { status: 'ok', db: 'up' };
    res.status(503);
    return { status: 'error', db: 'down' };
  }
}
