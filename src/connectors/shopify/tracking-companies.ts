import { carrierKey } from '../carriers.js';
import type { Logger } from '../../log.js';

/**
 * The tracking company names Shopify documents for `trackingInfo.company` ("Supported tracking
 * companies" of FulfillmentTrackingInfo.company, which FulfillmentTrackingInput.company refers to): for
 * these Shopify builds the tracking URL itself, and the name must be sent exactly as written
 * (capitalisation matters). First the names shown for shops in any country, then the further names shown
 * for shops in specific countries (the Japanese-script ones for Japan are left out: a warehouse report
 * does not carry them). As the page lists them; checked against the same schema description in
 * ShopifySharp's generated GraphQL/FulfillmentTrackingInfo.cs.
 * https://shopify.dev/docs/api/admin-graphql/latest/objects/FulfillmentTrackingInfo#supported-tracking-companies
 * https://shopify.dev/docs/api/admin-graphql/latest/input-objects/FulfillmentTrackingInput
 */
export const SHOPIFY_TRACKING_COMPANIES = [
  '4PX', 'AGS', 'Amazon', 'Amazon Logistics UK', 'An Post', 'Anjun Logistics', 'APC', 'Asendia USA', 'Australia Post', 'Bonshaw',
  'BPost', 'BPost International', 'Canada Post', 'Canpar', 'CDL Last Mile', 'China Post', 'Chronopost', 'Chukou1', 'Colissimo',
  'Comingle', 'Coordinadora', 'Correios', 'Correos', 'CTT', 'CTT Express', 'Cyprus Post', 'Delnext', 'Deutsche Post',
  'DHL eCommerce', 'DHL eCommerce Asia', 'DHL Express', 'DPD', 'DPD Local', 'DPD UK', 'DTD Express', 'DX', 'Eagle', 'Estes',
  'Evri', 'FedEx', 'First Global Logistics', 'First Line', 'FSC', 'Fulfilla', 'GLS',
  'Guangdong Weisuyi Information Technology (WSE)', 'Heppner Internationale Spedition GmbH & Co.', 'Iceland Post', 'IDEX',
  'Israel Post', 'Japan Post (EN)', 'Japan Post (JA)', 'La Poste Colissimo', 'La Poste Burkina Faso', 'Lasership', 'Latvia Post',
  'Lietuvos Paštas', 'Logisters', 'Lone Star Overnight', 'M3 Logistics', 'Meteor Space', 'Mondial Relay', 'New Zealand Post',
  'NinjaVan', 'North Russia Supply Chain (Shenzhen) Co.', 'OnTrac', 'Packeta', 'Pago Logistics', 'Ping An Da Tengfei Express',
  'Pitney Bowes', 'Portal PostNord', 'Poste Italiane', 'PostNL', 'PostNord DK', 'PostNord NO', 'PostNord SE', 'Purolator',
  'Qxpress', 'Qyun Express', 'Royal Mail', 'Royal Shipments', 'Sagawa (EN)', 'Sagawa (JA)', 'Sendle', 'SF Express',
  'SFC Fulfillment', 'SHREE NANDAN COURIER', 'Singapore Post', 'Southwest Air Cargo', 'StarTrack', 'Step Forward Freight',
  'Swiss Post', 'TForce Final Mile', 'Tinghao', 'TNT', 'Toll IPEC', 'United Delivery Service', 'UPS', 'USPS', 'Venipak',
  'We Post', 'Whistl', 'Wizmo', 'WMYC', 'Xpedigo', 'XPO Logistics', 'Yamato (EN)', 'Yamato (JA)', 'YiFan Express', 'YunExpress',
  // Australia
  'Aramex Australia', 'TNT Australia', 'Hunter Express', 'Couriers Please', 'Bonds', 'Allied Express', 'Direct Couriers',
  'Northline', 'GO Logistics',
  // Austria
  'Österreichische Post',
  // Bulgaria
  'Speedy',
  // Canada
  'Intelcom', 'BoxKnight', 'Loomis',
  // China
  'WanbExpress',
  // Czechia
  'Zásilkovna',
  // Germany
  'Deutsche Post (DE)', 'Deutsche Post (EN)', 'DHL', 'Swiship', 'Hermes',
  // Spain
  'SEUR',
  // France
  'Colis Privé',
  // United Kingdom
  'Parcelforce', 'Yodel', 'DHL Parcel', 'Tuffnells',
  // Greece
  'ACS Courier',
  // Ireland
  'Fastway', 'DPD Ireland',
  // India
  'DTDC', 'India Post', 'Delhivery', 'Gati KWE', 'Professional Couriers', 'XpressBees', 'Ecom Express', 'Ekart', 'Shadowfax',
  'Bluedart',
  // Italy
  'BRT', 'GLS Italy',
  // Norway
  'Bring',
  // Poland
  'Inpost',
  // Turkey
  'PTT', 'Yurtiçi Kargo', 'Aras Kargo', 'Sürat Kargo',
  // United States
  'Alliance Air Freight', 'Pilot Freight', 'LSO', 'Old Dominion', 'Pandion', 'R+L Carriers',
  // South Africa
  'Skynet',
] as const;

/**
 * Bundled defaults: carrier names warehouses commonly report that are not spelled as a Shopify name,
 * keyed by `carrierKey`, each to a name of SHOPIFY_TRACKING_COMPANIES. The same carriers as the bol
 * table (bol/transporters.ts) where Shopify knows them: PostNL's services are all "PostNL"; DHL's Dutch
 * consumer parcel service (DHL For You, DHL Parcel NL) is "DHL Parcel" (Shopify's name for the
 * Netherlands and the UK), DHL Paket is "DHL" (Germany), DPD NL/BE are "DPD", bpost is "BPost", FedEx
 * NL/BE are "FedEx". Wharf's carrier codes (mappings/lookups/carriers.yaml: POSTNL, DHL, DHL_EXPRESS,
 * DPD, GLS, UPS, BPOST) are Shopify names spelled another way; "DHL" stays Shopify's "DHL" (its name
 * for German shops), since Wharf's DHL code also stands for DHL Parcel: map it per channel when the
 * shop's parcels are DHL Parcel. Trunkrs, Cycloon, Budbee, Homerr and DYL are not in Shopify's list:
 * see OTHER_CARRIER_NAMES. "TNT" is Shopify's TNT (the express carrier), not PostNL.
 * A channel's `trackingCompanies` adds to and overrides these.
 */
export const DEFAULT_TRACKING_COMPANIES: Readonly<Record<string, string>> = {
  postnlpakket: 'PostNL', postnlbrief: 'PostNL', postnlbrievenbus: 'PostNL', postnlextra: 'PostNL', postnlexpress: 'PostNL', postnlinternational: 'PostNL',
  dhlforyou: 'DHL Parcel', dhlparcelnl: 'DHL Parcel', dhlparcelbe: 'DHL Parcel', dhlparceluk: 'DHL Parcel', dhlde: 'DHL', dhlpaket: 'DHL', dhlglobalmail: 'DHL eCommerce',
  dpdnl: 'DPD', dpdbe: 'DPD', dpdde: 'DPD', dpdie: 'DPD Ireland',
  glsnl: 'GLS', glsbe: 'GLS', glsde: 'GLS', glsit: 'GLS Italy',
  bpostbe: 'BPost', bpostbrief: 'BPost', bpostintl: 'BPost International',
  fedexnl: 'FedEx', fedexbe: 'FedEx', federalexpress: 'FedEx',
  austrianpost: 'Österreichische Post', hermesde: 'Hermes', hermesuk: 'Evri',
};

/**
 * Carriers Wharf knows (the bol table's, Wharf's BUDBEE code) that are not in Shopify's list: their own
 * spelling, sent as the company with `known: false` (so the code BUDBEE goes as "Budbee").
 */
export const OTHER_CARRIER_NAMES: Readonly<Record<string, string>> = {
  budbee: 'Budbee', trunkrs: 'Trunkrs', homerr: 'Homerr', cycloon: 'Cycloon', dyl: 'DYL',
};

/** The answer for one parcel: the `company` to send, and whether Shopify knows it (else the URL matters). */
export interface TrackingCompany {
  company: string;
  known: boolean;
}

const BY_KEY: ReadonlyMap<string, string> = new Map(
  SHOPIFY_TRACKING_COMPANIES.map((name) => [carrierKey(name), name] as const).filter(([key]) => key !== ''),
);

/**
 * Shopify's tracking company for a Wharf carrier name (as the warehouse reported it): the channel's
 * `trackingCompanies` first (sent as written there), then a Shopify name spelled any way
 * ("postnl", "DHL-Express" → "PostNL", "DHL Express"), then DEFAULT_TRACKING_COMPANIES. A carrier in none
 * of them is sent as reported (trimmed; OTHER_CARRIER_NAMES spells a few) with `known: false`: Shopify accepts any name, it just does not
 * build the tracking URL, so the parcel's `trackingUrl` carries the link. Never guesses a near name.
 * Returns null for a missing or blank carrier.
 */
export function trackingCompany(carrier: string | null | undefined, overrides: Record<string, string> | undefined): TrackingCompany | null {
  const name = carrier?.trim();
  if (!name) return null;
  const key = carrierKey(name);
  for (const [from, to] of Object.entries(overrides ?? {})) if ((key && carrierKey(from) === key) || from.trim() === name) return { company: to, known: true };
  const found = (key && (BY_KEY.get(key) ?? DEFAULT_TRACKING_COMPANIES[key])) || undefined;
  return found ? { company: found, known: true } : { company: (key && OTHER_CARRIER_NAMES[key]) || name, known: false };
}

/** Carriers already reported as unknown in this process (per shop), so each is logged once. */
const reported = new Set<string>();

/**
 * Logs (warn, once per process for each shop and carrier) that a carrier is not a Shopify tracking
 * company, naming the config key that maps it and whether the parcel has a tracking URL.
 */
export function warnUnknownCompany(logger: Logger, shop: string, carrier: string, hasUrl: boolean): void {
  const id = `${shop}|${carrierKey(carrier) || carrier}`;
  if (reported.has(id)) return;
  reported.add(id);
  logger.warn(
    { connector: 'shopify', shop, carrier: carrier.slice(0, 60), trackingUrl: hasUrl },
    `shopify: carrier ${JSON.stringify(carrier.slice(0, 60))} is not one of Shopify's tracking companies; sent as it is${hasUrl ? ' with the tracking URL' : ' (no tracking URL: the tracking number may not be clickable)'}. Map it with the channel's trackingCompanies if Shopify knows it by another name`,
  );
}
