import { WharfError } from '../../errors.js';
import { carrierKey } from '../carriers.js';

/**
 * bol's transporter codes (`transport.transporterCode` of POST /retailer/shipments), as the Retailer API
 * v10 OpenAPI spec enumerates them (schema TransportInstruction / ChangeTransportRequest).
 * https://api.bol.com/retailer/public/redoc/v10/retailer.html#tag/Shipments/operation/create-shipment
 */
export const BOL_TRANSPORTER_CODES = [
  'BRIEFPOST', 'UPS', 'TNT', 'TNT-EXTRA', 'TNT_BRIEF', 'TNT-EXPRESS', 'DYL', 'DPD-NL', 'DPD-BE', 'BPOST_BE', 'BPOST_BRIEF', 'DHLFORYOU', 'GLS',
  'FEDEX_NL', 'FEDEX_BE', 'OTHER', 'DHL', 'DHL_DE', 'DHL-GLOBAL-MAIL', 'TSN', 'FIEGE', 'TRANSMISSION', 'PARCEL-NL', 'LOGOIX', 'PACKS', 'COURIER',
  'TRUNKRS', 'CYCLOON',
] as const;

/**
 * Bundled defaults: the carrier names warehouses in the Netherlands and Belgium commonly report, keyed
 * by `carrierKey` (lower case, letters and digits only). PostNL parcels are `TNT` at bol (PostNL was TNT
 * Post); "DHL" alone is bol's `DHL`, DHL's Dutch consumer parcel service is `DHLFORYOU`. Every carrier
 * code of the bundled lookup (mappings/lookups/carriers.yaml) has an entry. A channel's
 * `transporterCodes` adds to and overrides these.
 */
export const DEFAULT_TRANSPORTER_CODES: Readonly<Record<string, string>> = {
  postnl: 'TNT', tnt: 'TNT', postnlbrief: 'TNT_BRIEF', postnlextra: 'TNT-EXTRA', postnlexpress: 'TNT-EXPRESS',
  dhl: 'DHL', dhlforyou: 'DHLFORYOU', dhlparcel: 'DHLFORYOU', dhlparcelnl: 'DHLFORYOU', dhlecommerce: 'DHLFORYOU', dhlde: 'DHL_DE', dhlpaket: 'DHL_DE', dhlglobalmail: 'DHL-GLOBAL-MAIL',
  dpd: 'DPD-NL', dpdnl: 'DPD-NL', dpdbe: 'DPD-BE',
  gls: 'GLS', glsnl: 'GLS', glsbe: 'GLS',
  ups: 'UPS',
  bpost: 'BPOST_BE', bpostbe: 'BPOST_BE', bpostbrief: 'BPOST_BRIEF',
  fedex: 'FEDEX_NL', fedexnl: 'FEDEX_NL', fedexbe: 'FEDEX_BE',
  trunkrs: 'TRUNKRS', cycloon: 'CYCLOON', briefpost: 'BRIEFPOST', dyl: 'DYL', budbee: 'OTHER', homerr: 'OTHER', other: 'OTHER',
  // bol lists no DHL Express code: its parcels go as OTHER with their track & trace.
  dhlexpress: 'OTHER',
};

/**
 * bol's transporter code for a Wharf carrier name: the channel's `transporterCodes` first, then the
 * defaults; a name that already is a bol code (`TNT`, `DPD-NL`) passes as it is.
 * @throws WharfError (not retryable) when the carrier is missing or unknown, naming the config key to add.
 */
export function transporterCode(carrier: string | null, overrides: Record<string, string> | undefined, where: string): string {
  if (!carrier || !carrier.trim()) {
    throw new WharfError('RECORD_INVALID', 'bol: the shipment has no carrier; bol needs a transporter code with the track & trace', { where, hint: 'let the warehouse report the carrier, or map it in the shipment report mapping' }, { retryable: false });
  }
  const key = carrierKey(carrier);
  for (const [name, code] of Object.entries(overrides ?? {})) if (carrierKey(name) === key) return code;
  const exact = BOL_TRANSPORTER_CODES.find((c) => c === carrier.trim().toUpperCase());
  if (exact) return exact;
  const found = DEFAULT_TRANSPORTER_CODES[key];
  if (found) return found;
  throw new WharfError('RECORD_INVALID', `bol: no bol transporter code for carrier ${JSON.stringify(carrier.slice(0, 60))}`, {
    where,
    field: 'transporterCodes',
    hint: `add it to the channel's transporterCodes, e.g. transporterCodes: { ${JSON.stringify(carrier.slice(0, 60))}: OTHER } (bol's codes: ${BOL_TRANSPORTER_CODES.join(', ')})`,
  }, { retryable: false });
}
