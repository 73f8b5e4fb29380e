import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../../shared/adapters/events/eventbridge-publisher.js';
import type { BerthConfig } from '../../shared/config/config.js';
import type { EventPublisher } from '../../shared/ports/event-outbox.js';
import type { AwsClients } from './aws-wiring.js';

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
