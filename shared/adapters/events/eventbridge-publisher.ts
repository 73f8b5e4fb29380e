import {
  PutEventsCommand,
  type EventBridgeClient,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { EventPublisher, OutboxEvent } from '../../ports/event-outbox.js';

/** The `source` of every event Berth puts on the bus; rules match on it and on `detail-type`. */
export const EVENT_SOURCE = 'berth.registry';

/**
 * PutEvents takes at most 10 entries per call, and an entry (source,
 * detail type and detail in UTF-8, 14 bytes for the time) must stay under
 * 256 KB. See `test/infra/aws-facts.ts`.
 */
export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_ENTRY_BYTES = 256 * 1024;

/** What an entry weighs as EventBridge counts it. */
export function entrySize(entry: PutEventsRequestEntry): number {
  return (
    (entry.Time ? 14 : 0) +
    Buffer.byteLength(entry.Source ?? '') +
    Buffer.byteLength(entry.DetailType ?? '') +
    Buffer.byteLength(entry.Detail ?? '') +
    (entry.Resources ?? []).reduce((n, r) => n + Buffer.byteLength(r), 0)
  );
}

/**
 * Registry events on an EventBridge bus, as ECR publishes its pushes:
 * `detail-type` is the event's kind (`repo_push`, `quota_warning`, ...),
 * `detail` its data with the repository and the event's id (delivery is
 * at least once: rules' targets dedupe by it). An event too large for an
 * entry is sent without its data, flagged `truncated`.
 */
export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: Pick<EventBridgeClient, 'send'>,
    private readonly busName: string,
  ) {}

  async publish(events: OutboxEvent[]): Promise<{ refused: { id: number; reason: string }[] }> {
    const refused: { id: number; reason: string }[] = [];
    for (let i = 0; i < events.length; i += PUT_EVENTS_MAX_ENTRIES) {
      const batch = events.slice(i, i + PUT_EVENTS_MAX_ENTRIES);
      const result = await this.client.send(
        new PutEventsCommand({ Entries: batch.map((e) => this.entry(e)) }),
      );
      // Results come back in the order of the entries sent.
      (result.Entries ?? []).forEach((entry, n) => {
        if (entry.ErrorCode) {
          refused.push({
            id: batch[n]!.id,
            reason: `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}`,
          });
        }
      });
    }
    return { refused };
  }

  private entry(e: OutboxEvent): PutEventsRequestEntry {
    const detail = {
      id: String(e.id),
      kind: e.kind,
      repository: e.repository,
      namespace: e.namespace,
      data: e.payload,
    };
    const entry: PutEventsRequestEntry = {
      EventBusName: this.busName,
      Source: EVENT_SOURCE,
      DetailType: e.kind,
      Time: new Date(e.createdAtMs),
      Detail: JSON.stringify(detail),
    };
    if (entrySize(entry) < PUT_EVENTS_MAX_ENTRY_BYTES) return entry;
    return { ...entry, Detail: JSON.stringify({ ...detail, data: null, truncated: true }) };
  }
}
