/**
 * How notifications leave the registry. Every outbound HTTP request goes
 * through the registry's address guard: no internal address, however a
 * name resolves, unless the operator allowed it; redirects are not
 * followed, so none can lead there either.
 */
export interface OutboundHttp {
  /** Why `url` may not be called, or null: checked when a notification is saved. */
  refusal(url: string): Promise<string | null>;
  /** POSTs `body`; the status, or throws when no answer came within the timeout. */
  post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number }>;
}

export interface MailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}
