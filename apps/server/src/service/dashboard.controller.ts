import { Controller, Get, Header, NotFoundException, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { type Asset, loadAssets } from '../dashboard/dashboard-assets';
import type { HttpRequest, HttpResponse } from '../http-types';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.page';

/**
 * The dashboard's page and its static modules. Public: they hold code, no
 * data; everything shown is read from /v1 with the key the viewer enters.
 * The files are read once, at start, from a fixed list (no path from the
 * request ever reaches the file system).
 */
@ApiExcludeController()
@Controller()
export class DashboardController {
  private assets: Map<string, Asset> | undefined;

  @Public()
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', DASHBOARD_CSP)
  @Header('x-content-type-options', 'nosniff')
  @Header('cache-control', 'no-cache')
  page(): string {
    return DASHBOARD_HTML;
  }

  @Public()
  @Get('dashboard/:file')
  asset(@Param('file') file: string, @Req() req: HttpRequest, @Res() res: HttpResponse): void {
    this.assets ??= loadAssets();
    const found = this.assets.get(file);
    if (!found) throw new NotFoundException(`no dashboard file "${file}"`);
    res.setHeader('content-type', found.type);
    res.setHeader('etag', found.etag);
    res.setHeader('x-content-type-options', 'nosniff');
    // Revalidated on each load (a 304 when unchanged), so an upgrade is picked up at once.
    res.setHeader('cache-control', 'no-cache');
    if (req.headers['if-none-match'] === found.etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.end(found.body);
  }
}
