import { Module } from '@nestjs/common';
import { DashboardEventsController } from './dashboard-events.controller';
import { StatsSampler } from './stats-sampler';
import { TransactionsListController } from './transactions-list.controller';

/**
 * The dashboard's server side: the sampler that keeps an hour of history,
 * its event stream, and the half-message list. The page and its assets are
 * served by service/dashboard.controller.ts.
 */
@Module({
  providers: [StatsSampler],
  controllers: [DashboardEventsController, TransactionsListController],
})
export class DashboardModule {}
