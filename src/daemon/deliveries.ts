import type { Logger } from '../log.js';
import type { LoadedConfig } from '../config/load.js';
import type { Store } from '../ledger/store.js';
import { WAREHOUSE_ORDERS, WAREHOUSE_PRODUCTS } from '../pipeline/routing.js';
import { FolderDestination } from '../destinations/folder/destination.js';
import { SftpDestination } from '../destinations/sftp/destination.js';
import { OutboxDelivery, type DeliveryResult } from '../pipeline/deliver.js';
import type { FileDestination } from '../pipeline/ports.js';

/** The warehouse deliveries: orders (and cancellations), and products from webshop catalogues. */
export class WarehouseDeliveries {
  private readonly destinations = new Map<string, FileDestination>();
  readonly orders: OutboxDelivery;
  readonly products: OutboxDelivery;

  constructor(private readonly config: LoadedConfig, store: Store, private readonly logger: Logger) {
    const common = { mappingsDir: config.mappingsDir, maxBackoffMs: config.delivery.maxBackoffMs };
    this.orders = new OutboxDelivery(
      store,
      { ...common, destinationFor: (m) => this.destination(config.warehouseOrders.path, m), mapping: config.warehouseOrders.mapping, batch: config.warehouseOrders.batch },
      logger.child({ destination: WAREHOUSE_ORDERS }),
    );
    // A catalogue pull is one batch: one product file per pulled page, never one file per product.
    this.products = new OutboxDelivery(
      store,
      { ...common, outbox: WAREHOUSE_PRODUCTS, batchLabel: 'products', destinationFor: (m) => this.destination(config.warehouseProducts.path, m), mapping: config.warehouseProducts.mapping, batch: 'file' },
      logger.child({ destination: WAREHOUSE_PRODUCTS }),
    );
  }

  /** Delivers what is due; `stop` ends the pass early (see OutboxDelivery.deliverDue). */
  async deliverDue(stop: () => boolean = () => false): Promise<DeliveryResult> {
    const a = await this.orders.deliverDue(undefined, stop);
    const b = await this.products.deliverDue(undefined, stop);
    return { delivered: a.delivered + b.delivered, unchanged: a.unchanged + b.unchanged, failed: a.failed + b.failed };
  }

  /** One destination per folder (`{merchant}` in the configured path), local or on the warehouse's SFTP server. */
  private destination(template: string, merchant: string): FileDestination {
    const dir = template.replaceAll('{merchant}', merchant);
    let d = this.destinations.get(dir);
    if (!d) {
      const sftp = this.config.warehouseOrders.sftp;
      d = sftp ? new SftpDestination({ config: sftp, directory: dir, logger: this.logger, channel: 'warehouse' }) : new FolderDestination(dir, this.logger);
      this.destinations.set(dir, d);
    }
    return d;
  }

  async close(): Promise<void> {
    await Promise.all([...this.destinations.values()].map((d) => d.close().catch(() => undefined)));
  }
}
