import type { HttpRoutes } from '../server.js';
import { fileRoutes } from './files.js';
import { jobRoutes } from './jobs.js';
import { mappingRoutes } from './mappings.js';
import { orderRoutes } from './orders.js';

/** The console's JSON API under /api/ (token required, as every non-public route): docs/operations.md "HTTP API". */
export const apiRoutes: HttpRoutes = async (app, deps) => {
  await app.register(fileRoutes, deps);
  await app.register(orderRoutes, deps);
  await app.register(jobRoutes, deps);
  await app.register(mappingRoutes, deps);
};
