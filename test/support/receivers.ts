import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** What has arrived so far, and a way to wait for more. */
class Arrivals<T> {
  readonly items: T[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  constructor(private readonly noun: string) {}

  add(item: T): void {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => {
      if (this.items.length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `count` have arrived in all. */
  waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.items.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`got ${this.items.length} of ${count} ${this.noun}`)),
        timeoutMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAtMs: number;
}

/**
 * A real HTTP server on loopback that records what it receives, as a
 * webhook receiver, Slack or an AWS endpoint would; `answer` decides each
 * response (200 with an empty body unless it says otherwise).
 */
export class HttpReceiver {
  private readonly arrivals = new Arrivals<ReceivedRequest>('requests');
  readonly requests = this.arrivals.items;
  answer: (request: ReceivedRequest) => {
    status: number;
    body?: string;
    headers?: Record<string, string>;
  } = () => ({ status: 200 });
  private server!: Server;
  url = '';

  private constructor() {}

  static async start(): Promise<HttpReceiver> {
    const receiver = new HttpReceiver();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received: ReceivedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAtMs: Date.now(),
        };
        const { status, body, headers } = receiver.answer(received);
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body ?? '');
        receiver.arrivals.add(received);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    receiver.server = server;
    receiver.url = `http://127.0.0.1:${port}`;
    return receiver;
  }

  /** Resolves once `count` requests have arrived in all. */
  waitFor(count: number, timeoutMs = 20_000): Promise<void> {
    return this.arrivals.waitFor(count, timeoutMs);
  }

  json(n: number): Record<string, unknown> {
    return JSON.parse(this.requests[n]!.body) as Record<string, unknown>;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A real SMTP server on loopback that parses every message it accepts. */
export class MailReceiver {
  private readonly arrivals = new Arrivals<ParsedMail & { envelopeTo: string[] }>('mails');
  readonly mails = this.arrivals.items;
  private server!: SMTPServer;
  port = 0;

  private constructor() {}

  static async start(
    options: { username?: string; password?: string } = {},
  ): Promise<MailReceiver> {
    const receiver = new MailReceiver();
    const server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: options.username === undefined,
      onAuth(auth, _session, callback) {
        if (auth.username === options.username && auth.password === options.password) {
          callback(null, { user: auth.username });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
      onData(stream, session, callback) {
        simpleParser(stream).then(
          (mail) => {
            receiver.arrivals.add({
              ...mail,
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            });
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver.server = server;
    receiver.port = (
      (server as unknown as { server: Server }).server.address() as AddressInfo
    ).port;
    return receiver;
  }

  waitFor(count: number, timeoutMs = 20_000): Promise<void> {
    return this.arrivals.waitFor(count, timeoutMs);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
