// What the two WooCommerce-shaped bench servers (api-server.js, woo-push-server.js) share: the bench
// credentials, checked as WooCommerce checks them (basic auth, or consumer_key and consumer_secret in the
// query: https://woocommerce.github.io/woocommerce-rest-api-docs/#authentication), and a JSON answer.

const AUTH = `Basic ${Buffer.from('ck_bench:cs_bench').toString('base64')}`;

/** Whether the request carries the bench's key and secret (ck_bench / cs_bench). */
export function authorized(req, url) {
  return req.headers.authorization === AUTH || (url.searchParams.get('consumer_key') === 'ck_bench' && url.searchParams.get('consumer_secret') === 'cs_bench');
}

/** `send(status, body, headers)` for one response: JSON with its length. */
export function jsonSender(res) {
  return (status, body, headers = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
}
