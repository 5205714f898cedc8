import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';
import { DedupKeySweep } from './dedup-key-sweep';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { ServiceMetrics } from './service-metrics';

/** /health, /metrics, the dashboard at /, and the periodic dedup-key sweep. */
@Module({
  controllers: [HealthController, MetricsController, DashboardController],
  providers: [ServiceMetrics, DedupKeySweep],
  exports: [ServiceMetrics],
})
export class ServiceModule {}
