/** RetailCRM (Simla.com) API v5 connector. https://docs.simla.com/Developers/API/APIVersions/APIv5 */
export { parseRetailcrmConfig, retailcrmApiRoot, retailcrmDefaults, RETAILCRM_SCHEMA_FILE, type RetailcrmConfig } from './config.js';
export { createRetailcrmContext, crmDate, type RetailcrmContext } from './context.js';
export { pullOrders } from './orders.js';
export { pullProducts } from './products.js';
export { testConnection, missingAccess, REQUIRED_ACCESS, REQUIRED_METHODS, type CredentialsAnswer } from './test-connection.js';
export { retailcrmPush } from './push.js';
