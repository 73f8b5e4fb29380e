/**
 * Registry events on their way to an event bus (EventBridge on AWS): each
 * event recorded in the database is published at least once, by one
 * publisher at a time under a claim.
 */
export interface OutboxEvent {
  id: number;
  kind: string;
  /** `namespace/name`, or null for an event of a whole namespace. */
  repository: string | null;
  namespace: string | null;
  payload: Record<string, unknown>;
  createdAtMs: number;
}

export interface EventOutbox {
  /** Up to `limit` unpublished events, oldest first, claimed until `untilMs`. */
  claimUnpublished(
    nowMs: number,
    limit: number,
    claim: { token: string; untilMs: number },
  ): Promise<OutboxEvent[]>;
  markPublished(ids: number[], token: string, nowMs: number): Promise<void>;
  /**
   * Forgets events recorded before `beforeMs`, published or not: with a
   * bus, one it refused that long is given up on. How many.
   */
  forget(beforeMs: number): Promise<number>;
}

/** Publishes events; answers the ids the bus refused (the rest are published). */
export interface EventPublisher {
  publish(events: OutboxEvent[]): Promise<{ refused: { id: number; reason: string }[] }>;
}
