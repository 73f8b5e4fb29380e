import { repositoryEventData } from '../notifications/event-data.js';
import type { NotificationDeps } from './notifications.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface NotificationUpkeepOptions {
  /** Finished deliveries and recorded events are kept this long for the API to show. */
  retentionMs: number;
  /** With an event bus, unpublished events are kept so long before they are given up on. */
  publishRetentionMs: number;
}

export const DEFAULT_NOTIFICATION_UPKEEP: NotificationUpkeepOptions = {
  retentionMs: 14 * DAY_MS,
  publishRetentionMs: 14 * DAY_MS,
};

/**
 * The periodic part of notifications: announces tags about to expire to
 * each `repo_image_expiry` notification (Quay's `{"days": N}`: a tag whose
 * expiry falls within N days is announced once per expiry, several tags
 * of one repository in one event), then forgets finished deliveries and
 * old events. Returns how many tags it announced.
 */
export async function runNotificationUpkeep(
  deps: Pick<NotificationDeps, 'store' | 'outbox' | 'publisher' | 'wakeups' | 'clock'>,
  options: NotificationUpkeepOptions = DEFAULT_NOTIFICATION_UPKEEP,
): Promise<number> {
  const nowMs = deps.clock.now();
  let announced = 0;
  for (const notification of await deps.store.subscribed('repo_image_expiry')) {
    const days = Number(notification.eventConfig.days);
    if (!Number.isFinite(days) || days <= 0) continue;
    const tags = await deps.store.announceExpiring(
      notification,
      { nowMs, untilMs: nowMs + days * DAY_MS },
      (names) =>
        repositoryEventData(notification.repositoryName, {
          notification_uuid: notification.uuid,
          tags: names,
          expiring_in: `${days} days`,
        }),
    );
    announced += tags.length;
  }
  if (announced > 0) await deps.wakeups.wakeAt('notifications', nowMs);
  await deps.store.forgetFinished(nowMs - options.retentionMs);
  await deps.outbox.forget(nowMs - options.publishRetentionMs);
  return announced;
}
