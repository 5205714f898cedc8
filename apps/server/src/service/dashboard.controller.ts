import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { DASHBOARD_HTML } from './dashboard.page';

@ApiExcludeController()
@Controller()
export class DashboardController {
  @Public()
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return DASHBOARD_HTML;
  }
}
