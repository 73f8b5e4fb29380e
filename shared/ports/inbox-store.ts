/**
 * In-app notifications (Quay's `quay_notification` method and its
 * `/user/notifications` endpoints): an entry for a user, or for an
 * organization, which its administrators then see.
 */
export interface InboxEntry {
  uuid: string;
  kind: string;
  /** The organization the entry was for; null when it was for the user. */
  organization: string | null;
  metadata: Record<string, unknown>;
  dismissed: boolean;
  createdAtMs: number;
}

/** Who an in-app notification goes to, as its configuration names them. */
export type InboxTarget =
  | { kind: 'user'; name: string }
  | { kind: 'org'; name: string }
  | { kind: 'team'; organization: string; name: string };

export interface InboxStore {
  /**
   * One entry per account the target stands for (a team: each member);
   * how many were written. Zero when the target no longer exists.
   */
  post(
    target: InboxTarget,
    entry: { kind: string; metadata: Record<string, unknown> },
    newId: () => string,
    nowMs: number,
  ): Promise<number>;
  /** A user's entries and those of the organizations they administer, newest first. */
  list(
    userId: number,
    page: { offset: number; limit: number; includeDismissed: boolean },
  ): Promise<InboxEntry[]>;
  find(userId: number, uuid: string): Promise<InboxEntry | null>;
  setDismissed(userId: number, uuid: string, dismissed: boolean): Promise<InboxEntry | null>;
}
