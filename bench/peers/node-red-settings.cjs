// Node-RED 4 settings for the peer benchmark (bench/peers/node-red.js): headless (no editor, no admin
// API), HTTP bound to 127.0.0.1, our flow file, userDir in the benchmark's temp folder. The paths and
// the port come from the environment that bench/peers/node-red.js gives bench/peers/worker-node-red.js.
// Settings reference: https://nodered.org/docs/user-guide/runtime/settings-file
'use strict';
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const peer = globalThis.wharfBenchPeer; // set by worker-node-red.js before Node-RED starts
if (!peer) throw new Error('node-red-settings.cjs is meant to be loaded by bench/peers/worker-node-red.js');

module.exports = {
  flowFile: process.env.BENCH_NR_FLOW,
  userDir: process.env.BENCH_NR_USERDIR,
  credentialSecret: false,
  flowFilePretty: false,
  uiHost: '127.0.0.1',
  uiPort: Number(process.env.BENCH_NR_PORT),
  disableEditor: true,
  httpAdminRoot: false, // no editor and no admin API, so no auth to configure
  diagnostics: { enabled: false, ui: false },
  runtimeState: { enabled: false, ui: false },
  telemetry: { enabled: false, updateNotification: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
  // No npm installs at deploy time: ajv comes from Wharf's own node_modules through the global context.
  functionExternalModules: false,
  functionGlobalContext: {
    // ajv with JSON Schema 2020-12 and ajv-formats, Wharf's versions (package.json).
    Ajv2020: require(path.join(root, 'node_modules', 'ajv', 'dist', '2020.js')).Ajv2020,
    addFormats: require(path.join(root, 'node_modules', 'ajv-formats')),
    orderSchema: require(path.join(root, 'schemas', 'order.schema.json')),
    // The hand-written demo-orders-csv mapping of the bare loop (bench/bare-map.js) and Wharf's
    // output file naming, so that all three variants produce the same canonical files.
    mapOrder: peer.mapOrder,
    columnsOf: peer.columnsOf,
    fileNameFragment: peer.fileNameFragment,
    sha256: peer.sha256,
    fs: require('node:fs'),
    path: require('node:path'),
  },
};
