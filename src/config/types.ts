import type { BolConfig, CommonChannelConfig, FolderChannelConfig, LightspeedConfig, RetailcrmConfig, ShopifyConfig, WharfConfig, WooConfig } from './generated/config.js';
import { schemaDefaults, schemaValue } from './schema-facts.js';

/**
 * The config as written in wharf.yaml (after `${ENV}`/`file:` references are resolved). The types are
 * generated from schemas/config.schema.json and schemas/channel-*.schema.json (`npm run schemas:types`);
 * this module names the unions the code uses and reads the defaults from the same schemas.
 */
export type {
  ChannelConfig,
  CommonChannelConfig,
  FolderChannelConfig,
  MerchantConfig,
  OrderDestinationConfig,
  WharfConfig,
} from './generated/config.js';

/**
 * A webshop/marketplace channel: the fields every platform shares (schemas/channel-api-common.schema.json)
 * and its own (schemas/channel-<platform>.schema.json).
 */
export type ApiChannelConfig = WooConfig | ShopifyConfig | LightspeedConfig | BolConfig | RetailcrmConfig;

/** The webshop/marketplace platforms (one connector each in src/connectors/). */
export type ApiChannelType = ApiChannelConfig['type'];

/** One `files` rule of a folder or SFTP channel: the first whose glob matches a file name chooses its mapping. */
export type FileRule = FolderChannelConfig['files'][number];

const top = schemaDefaults<WharfConfig>('config.schema.json');

/**
 * Every default of the top level, of a folder channel and of the fields all webshop channels share,
 * read from the schemas' `default`s (schemas/config.schema.json, channel-folder, channel-api-common).
 */
export const configDefaults = {
  ledger: top.ledger,
  mappings: top.mappings,
  dataDir: top.dataDir,
  logLevel: top.log.level,
  delivery: top.delivery,
  shutdownTimeout: top.shutdownTimeout,
  timezone: top.schedule.timezone,
  folder: {
    ...schemaDefaults<FolderChannelConfig>('channel-folder.schema.json'),
    doneFileSuffix: schemaValue<string>('channel-folder.schema.json', '/properties/doneFiles/oneOf/1/properties/suffix/default'),
  },
  api: schemaDefaults<CommonChannelConfig>('channel-api-common.schema.json'),
};
