import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

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
  readonly requests: ReceivedRequest[] = [];
  answer: (request: ReceivedRequest) => {
    status: number;
    body?: string;
    headers?: Record<string, string>;
  } = () => ({ status: 200 });
  private waiters: { count: number; resolve: () => void }[] = [];
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
        receiver.requests.push(received);
        const { status, body, headers } = receiver.answer(received);
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body ?? '');
        receiver.notify();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    receiver.server = server;
    receiver.url = `http://127.0.0.1:${port}`;
    return receiver;
  }

  private notify() {
    this.waiters = this.waiters.filter((w) => {
      if (this.requests.length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `count` requests have arrived in all. */
  waitFor(count: number, timeoutMs = 20_000): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`got ${this.requests.length} of ${count} requests`)),
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
  readonly mails: (ParsedMail & { envelopeTo: string[] })[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];
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
            receiver.mails.push({
              ...mail,
              envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            });
            receiver.notify();
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

  private notify() {
    this.waiters = this.waiters.filter((w) => {
      if (this.mails.length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  waitFor(count: number, timeoutMs = 20_000): Promise<void> {
    if (this.mails.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`got ${this.mails.length} of ${count} mails`)),
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

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
