import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/**
 * The common body of the documented-protocol test servers: node:http on 127.0.0.1 and a random port,
 * a log of every request, and fault injection (the next N requests answer 429/5xx, or answer slowly).
 * Each platform server supplies only its routes, auth check and paging.
 */

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  /** What the server answered. */
  status?: number;
}

export interface Fault {
  status: number;
  /** Retry-After header value (seconds or an HTTP date). */
  retryAfter?: string;
  body?: unknown;
  /** Only requests whose path contains this are affected. */
  pathIncludes?: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Raw text instead of JSON. */
  text?: string;
  /**
   * The request was handled (its effect applied) but the connection is destroyed before any answer
   * is written: the ambiguous failure of a push (did the shop apply it or not?).
   */
  drop?: boolean;
}

export type Handler = (req: SeenRequest) => Reply | Promise<Reply>;

/** Which requests a fault applies to: every given part must match (path contains, method equals, body contains). */
export interface RequestMatch {
  pathIncludes?: string;
  method?: string;
  bodyIncludes?: string;
}

function matches(m: RequestMatch, req: SeenRequest): boolean {
  return (!m.pathIncludes || req.path.includes(m.pathIncludes)) && (!m.method || m.method === req.method) && (!m.bodyIncludes || req.body.includes(m.bodyIncludes));
}

export class TestServer {
  readonly requests: SeenRequest[] = [];
  private faults: Fault[] = [];
  private slow: { count: number; ms: number } = { count: 0, ms: 0 };
  private drops: { pathIncludes?: string; method?: string }[] = [];
  private holds: RequestMatch[] = [];
  private releases: (() => void)[] = [];
  /** Requests whose answer is being held now (handled, change applied, no answer written yet). */
  readonly held: SeenRequest[] = [];
  private changes: { n: number; match: (req: SeenRequest) => boolean; change: (req: SeenRequest) => void; served: number }[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly handler: Handler) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** The next `count` requests (matching `pathIncludes`, if given) get this answer instead. */
  failNext(count: number, fault: Fault): void {
    for (let i = 0; i < count; i++) this.faults.push(fault);
  }

  /** Drops the faults not used yet (a server that answered 500 recovers); returns how many were left. */
  clearFaults(): number {
    return this.faults.splice(0).length;
  }

  /**
   * The ambiguous failure: the next `count` requests (matching `pathIncludes`/`method`, if given) are
   * handled — the change is applied — but the connection is dropped before the answer is sent, as when
   * a proxy or the network fails after the shop did the work.
   */
  dropAnswerNext(count: number, match: { pathIncludes?: string; method?: string } = {}): void {
    for (let i = 0; i < count; i++) this.drops.push(match);
  }

  /**
   * The crash of the client mid-request: the next `count` requests matching `match` are handled — the
   * change applied — but their answer is held until the client goes away (its process killed: the
   * connection closes) or `releaseHeld()`. A held request is listed in `held` while it waits.
   */
  holdAnswerNext(count: number, match: RequestMatch = {}): void {
    for (let i = 0; i < count; i++) this.holds.push(match);
  }

  /** Sends the answers held by `holdAnswerNext` and holds no more. */
  releaseHeld(): void {
    this.holds = [];
    for (const r of this.releases.splice(0)) r();
  }

  /** The next `count` requests wait `ms` before answering. */
  slowNext(count: number, ms: number): void {
    this.slow = { count, ms };
  }

  /**
   * Runs `change` once, right after the `n`-th successful request (a page was served) that `match` accepts was answered
   * (its answer is serialised before the change): orders change between two page requests, as on a live
   * shop while a pull pages through them.
   */
  changeAfter(n: number, match: (req: SeenRequest) => boolean, change: (req: SeenRequest) => void): void {
    this.changes.push({ n, match, change, served: 0 });
  }

  /** Requests whose path contains `part` (and, optionally, with that answer status). */
  hits(part: string, status?: number): SeenRequest[] {
    return this.requests.filter((r) => r.path.includes(part) && (status === undefined || r.status === status));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    this.requests.push(seen);
    if (this.slow.count > 0) {
      this.slow.count--;
      await new Promise((r) => setTimeout(r, this.slow.ms));
      if (res.destroyed) return;
    }
    let reply: Reply;
    const i = this.faults.findIndex((f) => !f.pathIncludes || seen.path.includes(f.pathIncludes));
    if (i !== -1) {
      const f = this.faults.splice(i, 1)[0]!;
      reply = { status: f.status, headers: f.retryAfter !== undefined ? { 'retry-after': f.retryAfter } : {}, body: f.body ?? { message: f.status === 429 ? 'Too many requests' : 'Service unavailable' } };
    } else {
      try {
        reply = await this.handler(seen);
      } catch (err) {
        reply = { status: 500, body: { message: `test server bug: ${(err as Error).message}` } };
      }
    }
    const d = this.drops.findIndex((m) => (!m.pathIncludes || seen.path.includes(m.pathIncludes)) && (!m.method || m.method === seen.method));
    if (d !== -1) {
      this.drops.splice(d, 1);
      seen.status = 0;
      res.socket?.destroy();
      return;
    }
    const h = this.holds.findIndex((m) => matches(m, seen));
    if (h !== -1) {
      this.holds.splice(h, 1);
      this.held.push(seen);
      await new Promise<void>((resolve) => {
        res.once('close', resolve);
        this.releases.push(resolve);
      });
      this.held.splice(this.held.indexOf(seen), 1);
      if (res.destroyed || res.socket?.destroyed !== false) {
        seen.status = 0;
        return;
      }
    }
    seen.status = reply.status;
    // Serialised before any change runs: the page already served keeps what it held.
    const text = reply.text ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
    // A GraphQL refusal (HTTP 200 with `errors` and no `data`, e.g. Shopify's MAX_COST_EXCEEDED) served no page.
    const body = reply.body as { errors?: unknown; data?: unknown } | undefined;
    const refused = typeof body === 'object' && body !== null && body.errors !== undefined && body.data == null;
    if (reply.status < 300 && !refused) {
      for (const c of this.changes) {
        if (c.match(seen) && ++c.served === c.n) c.change(seen);
      }
    }
    if (reply.drop) {
      res.socket?.destroy();
      return;
    }
    if (res.destroyed) return;
    if (reply.drop) {
      res.socket?.destroy();
      return;
    }
    res.writeHead(reply.status, { 'content-type': reply.text !== undefined ? 'text/plain' : 'application/json; charset=utf-8', ...reply.headers });
    res.end(text);
  }
}

/** Decodes a Basic Authorization header into [user, password]. */
export function basicCredentials(header: string | undefined): [string, string] | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i === -1 ? undefined : [decoded.slice(0, i), decoded.slice(i + 1)];
}

/** A pino logger writing JSON lines into a string, to assert on what was logged. */
export function captureLogger(): { logger: Logger; text: () => string } {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { logger: pino({ level: 'trace' }, sink), text: () => out };
}

/** Collects an async iterable into an array (tests only: the connectors themselves stream). */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Request tuning for tests: real but tiny back-off delays. */
export const fastHttp = { baseDelayMs: 10, maxDelayMs: 50, maxTotalWaitMs: 5_000, timeoutMs: 2_000 };
