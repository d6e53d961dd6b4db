// A WooCommerce-shaped REST API for the api benchmark, in its own process so that it does not share
// a CPU budget with what is measured: basic auth, per_page ≤ 100, page, X-WP-Total/X-WP-TotalPages,
// status and modified_after filters, orderby=modified. Prints its port on stdout, serves until killed.
// Usage: node bench/api-server.js ORDERS
import http from 'node:http';
import { authorized, jsonSender } from './woo-shape.js';

const count = Number(process.argv[2] ?? 10_000);
const T0 = Date.parse('2026-11-01T08:00:00Z');
const iso = (ms) => new Date(ms).toISOString().slice(0, 19);
const streets = ['Keizersgracht 221 B', 'Oudegracht 12-A', 'Kerkstraat 7', 'Marktplein 3 bis', 'Stationsweg 101'];
const cities = [['1016 DV', 'Amsterdam', 'NL'], ['3511 AB', 'Utrecht', 'NL'], ['9000', 'Gent', 'BE'], ['2000', 'Antwerpen', 'BE'], ['5611 AA', 'Eindhoven', 'NL']];

function order(i) {
  const [postcode, city, country] = cities[i % cities.length];
  const lines = 1 + (i % 3);
  const addr = { first_name: 'Sanne', last_name: `Klant ${i}`, company: '', address_1: streets[i % streets.length], address_2: '', city, state: '', postcode, country };
  return {
    id: 100000 + i, number: String(100000 + i), status: 'processing', currency: 'EUR',
    date_created_gmt: iso(T0 + i * 1000), date_modified_gmt: iso(T0 + i * 1000),
    total: (lines * 12.5 + 4.95).toFixed(2), shipping_total: '4.95', total_tax: '0.00', discount_total: '0.00', customer_note: '',
    billing: { ...addr, email: `klant${i}@example.nl`, phone: '+31 6 12345678' }, shipping: { ...addr, phone: '' },
    shipping_lines: [{ method_id: 'flat_rate', method_title: 'PostNL' }],
    meta_data: [],
    line_items: Array.from({ length: lines }, (_, k) => ({ id: i * 10 + k, name: `Artikel ${k}`, product_id: 500 + k, variation_id: 0, quantity: 1 + k, sku: `SKU-${k}`, price: 12.5, total: (12.5 * (1 + k)).toFixed(2) })),
  };
}

const orders = Array.from({ length: count }, (_, i) => order(i));
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const send = jsonSender(res);
  if (!authorized(req, url)) return send(401, { code: 'woocommerce_rest_cannot_view' });
  if (url.pathname === '/wp-json/' || url.pathname === '/wp-json') return send(200, { namespaces: ['wc/v3'] });
  if (url.pathname !== '/wp-json/wc/v3/orders') return send(404, { code: 'rest_no_route' });
  const statuses = (url.searchParams.get('status') ?? 'any').split(',');
  const after = url.searchParams.get('modified_after');
  let list = orders.filter((o) => statuses.includes('any') || statuses.includes(o.status));
  if (after) list = list.filter((o) => Date.parse(`${o.date_modified_gmt}Z`) > Date.parse(after.endsWith('Z') ? after : `${after}Z`));
  const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 10));
  const page = Number(url.searchParams.get('page') ?? 1);
  send(200, list.slice((page - 1) * perPage, page * perPage), { 'x-wp-total': String(list.length), 'x-wp-totalpages': String(Math.ceil(list.length / perPage)) });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(String(server.address().port)));
