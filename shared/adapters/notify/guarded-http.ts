import { Agent, request } from 'undici';
import type { OutboundHttp } from '../../ports/notification-transport.js';
import type { AddressGuard } from '../upstream/address-guard.js';
import { guardedConnector } from '../upstream/guarded-connector.js';

/**
 * Notification webhooks over HTTP(S), through the address guard on every
 * connection. Redirects are never followed (a 3xx is a failed attempt),
 * so a receiver cannot send the registry on to an internal address; the
 * whole exchange must end within the timeout (Quay's
 * NOTIFICATION_SEND_TIMEOUT). Errors name no URL: a webhook URL often
 * carries a secret (Slack's does), and errors reach logs.
 */
export class GuardedHttp implements OutboundHttp {
  private readonly dispatcher: Agent;

  constructor(
    private readonly guard: AddressGuard,
    private readonly timeoutMs: number,
  ) {
    this.dispatcher = new Agent({
      connect: guardedConnector(guard, { rejectUnauthorized: true }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  refusal(url: string): Promise<string | null> {
    return this.guard.urlRefusal(url);
  }

  async post(
    url: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number }> {
    const refused = await this.refusal(url);
    if (refused) throw new Error(`refused: ${refused}`);
    try {
      const response = await request(url, {
        method: 'POST',
        body,
        headers,
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // Only the status matters; the body is read away so the connection is reused.
      await response.body.dump({ limit: 64 * 1024 });
      return { status: response.statusCode };
    } catch (error) {
      throw new Error(
        describe(error as Error & { code?: string; cause?: unknown }, this.timeoutMs),
      );
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}

function describe(error: Error & { code?: string; cause?: unknown }, timeoutMs: number): string {
  if (error.name === 'TimeoutError' || error.name === 'AbortError') {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = (error.cause as (Error & { code?: string }) | undefined) ?? error;
  return cause.code ? `${cause.code}: ${cause.message}` : cause.message;
}
