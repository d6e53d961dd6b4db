import type { HttpRoutes } from './server.js';
import { WharfMetrics } from '../observe/metrics.js';
import { metricsSink, setMetricsSink } from '../observe/sink.js';

/**
 * `GET /metrics` (token required): the Prometheus text format of src/observe/metrics.ts. Registering
 * the route installs the metrics as the process's sink (src/observe/sink.ts), so the daemon counts
 * from the moment its HTTP server is built (before the gateway runs); closing the server uninstalls it.
 */
export const metricsRoutes: HttpRoutes = async (app, deps) => {
  const metrics = new WharfMetrics({ config: deps.config, store: deps.store, logger: deps.logger, jobs: () => deps.gateway.activity.list() });
  setMetricsSink(metrics);
  app.addHook('onClose', async () => {
    if (metricsSink() === metrics) setMetricsSink(undefined);
  });
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.type(contentType).send(body);
  });
};
