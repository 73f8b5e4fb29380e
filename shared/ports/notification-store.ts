/**
 * Notifications and their deliveries. A notification is configured on a
 * repository (or, for quota events, on a namespace); every event it
 * subscribes to becomes one delivery, recorded in the transaction of the
 * change the event reports (see `registry-events.ts` in the SQL adapter).
 * A delivery is claimed by one worker at a time under a lease and ends
 * delivered, or failed with its reason: the dead letter an administrator
 * reads through the API.
 */

/** Which notifications a request is about: a repository's, or a namespace's own. */
export interface NotificationOwner {
  namespaceId: number;
  /** Null: the namespace's notifications (quota events), not any repository's. */
  repositoryId: number | null;
}

export interface NotificationRecord {
  id: number;
  uuid: string;
  namespaceId: number;
  repositoryId: number | null;
  event: string;
  method: string;
  config: Record<string, unknown>;
  eventConfig: Record<string, unknown>;
  title: string | null;
  /** The webhook signing secret, sealed (see `notificationSecretContext`). */
  secretSealed: string | null;
  /** Failed attempts in a row; at `NOTIFICATION_FAILURE_LIMIT` the notification is disabled. */
  numberOfFailures: number;
  createdAtMs: number;
}

export type NewNotification = Omit<NotificationRecord, 'id' | 'numberOfFailures' | 'createdAtMs'>;

/**
 * As Quay: a notification whose last three attempts failed is disabled;
 * it gets no new deliveries until an administrator resets its count.
 */
export const NOTIFICATION_FAILURE_LIMIT = 3;

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface DeliveryRecord {
  uuid: string;
  event: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptMs: number;
  lastError: string | null;
  createdAtMs: number;
  finishedAtMs: number | null;
}

/** A claimed delivery, with what sending it needs. */
export interface ClaimedDelivery {
  id: number;
  uuid: string;
  event: string;
  /** The event's data, as recorded (Quay's `event_data` without the host-dependent URLs). */
  payload: Record<string, unknown>;
  /** Attempts before this one. */
  attempts: number;
  createdAtMs: number;
  notification: NotificationRecord & {
    namespaceName: string;
    /** `namespace/name`, or null for a namespace notification. */
    repositoryName: string | null;
  };
}

export interface DeliveryClaim {
  token: string;
  untilMs: number;
}

/** How a failed attempt ends: tried again, or given up on (the notification may be disabled too). */
export interface FailedAttempt {
  error: string;
  /** When to try again; null when the delivery has had its attempts. */
  retryAtMs: number | null;
  nowMs: number;
}

export type FailureOutcome = 'retry' | 'gave-up' | 'lost-claim';

export interface NotificationStore {
  create(notification: NewNotification, nowMs: number): Promise<NotificationRecord>;
  list(owner: NotificationOwner): Promise<NotificationRecord[]>;
  find(owner: NotificationOwner, uuid: string): Promise<NotificationRecord | null>;
  delete(owner: NotificationOwner, uuid: string): Promise<NotificationRecord | null>;
  /** Sets the failure count back to 0, which enables a disabled notification again. */
  resetFailures(owner: NotificationOwner, uuid: string): Promise<NotificationRecord | null>;
  /** Queues one delivery to this notification alone (a test, an expiry announcement). */
  enqueue(
    notificationId: number,
    event: string,
    payload: Record<string, unknown>,
    nowMs: number,
  ): Promise<void>;
  /** The notification's latest deliveries, newest first. */
  deliveries(notificationId: number, limit: number): Promise<DeliveryRecord[]>;

  /** Up to `limit` due deliveries of enabled notifications, each claimed. */
  claimDue(nowMs: number, limit: number, claim: DeliveryClaim): Promise<ClaimedDelivery[]>;
  /**
   * When the next pending delivery of an enabled notification may be sent:
   * its retry time, or its claim's end when a worker holds it; null when
   * none waits.
   */
  nextDueMs(): Promise<number | null>;
  /** Gives up the pending deliveries of disabled notifications, saying why; how many. */
  failDisabled(nowMs: number): Promise<number>;
  /**
   * Delivered, in one transaction for a batch: their notifications' failure
   * counts go back to 0. Deliveries whose claim was lost are left alone;
   * returns how many were recorded.
   */
  recordDelivered(ids: number[], token: string, nowMs: number): Promise<number>;
  /** A failed attempt: counted against the notification, then retried or given up on. */
  recordFailure(id: number, token: string, attempt: FailedAttempt): Promise<FailureOutcome>;
  /** Forgets finished deliveries older than `beforeMs`; how many. */
  forgetFinished(beforeMs: number): Promise<number>;

  /** The enabled repository notifications of one event, with their repository's name. */
  subscribed(event: string): Promise<(NotificationRecord & { repositoryName: string })[]>;
  /**
   * Announces the live tags of the notification's repository that expire
   * between `nowMs` and `untilMs` and were not announced at that expiry
   * yet: records them announced and queues one delivery with the payload
   * `payloadOf` makes of their names, together, so a tag is announced once
   * per expiry. Returns the tags announced.
   */
  announceExpiring(
    notification: NotificationRecord,
    window: { nowMs: number; untilMs: number },
    payloadOf: (tags: string[]) => Record<string, unknown>,
  ): Promise<string[]>;
}

/** Where a notification's signing secret is kept: binds the sealed value to its row. */
export const notificationSecretContext = (uuid: string) => `notification:${uuid}:secret`;
