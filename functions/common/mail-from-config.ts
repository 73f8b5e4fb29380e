import { SmtpMailer } from '../../shared/adapters/notify/smtp-mailer.js';
import type { BerthConfig } from '../../shared/config/config.js';
import type { Mailer } from '../../shared/ports/notification-transport.js';

/**
 * The mail transport, if e-mail is on (FEATURE_MAILING): the SMTP server
 * `MAIL_SERVER` names, else what the runtime offers instead (SES on AWS),
 * else none.
 */
export function mailerFromConfig(
  config: Pick<BerthConfig, 'mail' | 'notifications'>,
  otherwise?: () => Mailer,
): Mailer | null {
  if (!config.mail.enabled) return null;
  if (config.mail.server) {
    return new SmtpMailer(
      { ...config.mail, server: config.mail.server },
      config.notifications.sendTimeoutMs,
    );
  }
  return otherwise ? otherwise() : null;
}
