import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SesMailer } from '../../shared/adapters/notify/ses-mailer.js';
import type { BerthConfig } from '../../shared/config/config.js';
import type { Mailer } from '../../shared/ports/notification-transport.js';
import { mailerFromConfig } from '../common/mail-from-config.js';
import type { AwsClients } from './aws-wiring.js';

/** Mail on AWS: the SMTP server if one is configured, else SES with the function's role. */
export function awsMailer(config: BerthConfig, clients: AwsClients = {}): Mailer | null {
  return mailerFromConfig(
    config,
    () => new SesMailer(clients.ses ?? new SESv2Client({}), config.mail.sender),
  );
}
