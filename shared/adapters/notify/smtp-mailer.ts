import type { Transporter } from 'nodemailer';
import type { MailMessage, Mailer } from '../../ports/notification-transport.js';

export interface SmtpSettings {
  server: string;
  port: number;
  useTls: boolean;
  username: string | undefined;
  password: string | undefined;
  /** The From address. */
  sender: string;
}

/**
 * E-mail through an SMTP server, with Quay's settings: port 465 speaks
 * TLS from the first byte; otherwise `MAIL_USE_TLS` requires STARTTLS
 * (and without it the connection stays plain, for a relay on localhost).
 * nodemailer is loaded with the first message, so a registry that sends
 * none never loads it.
 */
export class SmtpMailer implements Mailer {
  private transport: Promise<Transporter> | undefined;

  constructor(
    private readonly config: SmtpSettings,
    private readonly timeoutMs: number,
  ) {}

  private connect(): Promise<Transporter> {
    const { config, timeoutMs } = this;
    return (this.transport ??= import('nodemailer').then(({ createTransport }) =>
      createTransport({
        host: config.server,
        port: config.port,
        secure: config.port === 465,
        requireTLS: config.port !== 465 && config.useTls,
        ignoreTLS: config.port !== 465 && !config.useTls,
        ...(config.username
          ? { auth: { user: config.username, pass: config.password ?? '' } }
          : {}),
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
      }),
    ));
  }

  async send(message: MailMessage): Promise<void> {
    await (
      await this.connect()
    ).sendMail({
      from: this.config.sender,
      to: message.to,
      subject: message.subject,
      html: message.html,
      text: message.text,
    });
  }

  close(): void {
    void this.transport?.then((transport) => transport.close());
  }
}
