import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { ServiceMetrics } from './service-metrics';

/** /health, /metrics and the dashboard at /. */
@Module({
  providers: [ServiceMetrics],
  controllers: [HealthController, MetricsController, DashboardController],
  exports: [ServiceMetrics],
})
export class ServiceModule {}
