import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { EventBridgePublisher } from '../../shared/adapters/events/eventbridge-publisher.js';
import { SesMailer } from '../../shared/adapters/notify/ses-mailer.js';
import type { BerthConfig } from '../../shared/config/config.js';
import type { EventPublisher } from '../../shared/ports/event-outbox.js';
import type { Mailer } from '../../shared/ports/notification-transport.js';
import { mailerFromConfig } from '../common/notifications-from-config.js';
import type { AwsClients } from './aws-wiring.js';

/** Mail on AWS: the SMTP server if one is configured, else SES with the function's role. */
export function awsMailer(config: BerthConfig, clients: AwsClients = {}): Mailer | null {
  return mailerFromConfig(
    config,
    () => new SesMailer(clients.ses ?? new SESv2Client({}), config.mail.sender),
  );
}

/** The EventBridge bus registry events go to (`BERTH_EVENT_BUS_NAME`), if any. */
export function awsEventPublisher(
  config: BerthConfig,
  clients: AwsClients = {},
): EventPublisher | null {
  const bus = config.notifications.eventBusName;
  return bus
    ? new EventBridgePublisher(clients.eventBridge ?? new EventBridgeClient({}), bus)
    : null;
}
