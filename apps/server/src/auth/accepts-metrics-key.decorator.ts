import { SetMetadata } from '@nestjs/common';

export const ACCEPTS_METRICS_KEY = 'postbox:accepts-metrics-key';

/**
 * GET /metrics also takes POSTBOX_METRICS_KEY (a scraper's key that opens
 * nothing else). With that key set, /metrics needs a key even when the rest
 * of the service runs open.
 */
export const AcceptsMetricsKey = (): MethodDecorator => SetMetadata(ACCEPTS_METRICS_KEY, true);
