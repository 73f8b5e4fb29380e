import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import {
  NOTIFICATION_FAILURE_LIMIT,
  type ClaimedDelivery,
  type DeliveryClaim,
  type DeliveryRecord,
  type FailedAttempt,
  type FailureOutcome,
  type NewNotification,
  type NotificationOwner,
  type NotificationRecord,
  type NotificationStore,
} from '../../ports/notification-store.js';
import { asJson } from './identity/rows.js';
import type { Database, NotificationDeliveryTable, NotificationTable } from './schema.js';

const toNotification = (r: Selectable<NotificationTable>): NotificationRecord => ({
  id: r.id,
  uuid: r.uuid,
  namespaceId: r.namespace_id,
  repositoryId: r.repository_id,
  event: r.event,
  method: r.method,
  config: r.config,
  eventConfig: r.event_config,
  title: r.title,
  secretSealed: r.secret_sealed,
  numberOfFailures: r.number_of_failures,
  createdAtMs: r.created_at_ms,
});

const toDelivery = (r: Selectable<NotificationDeliveryTable>): DeliveryRecord => ({
  uuid: r.uuid,
  event: r.event,
  state: r.state,
  attempts: r.attempts,
  nextAttemptMs: r.next_attempt_ms,
  lastError: r.last_error,
  createdAtMs: r.created_at_ms,
  finishedAtMs: r.finished_at_ms,
});

/** Why a delivery of a disabled notification is not sent. */
const DISABLED = `the notification is disabled after ${NOTIFICATION_FAILURE_LIMIT} failed attempts in a row; reset it to enable it again`;

/** Notifications and the outbox of their deliveries, on any Postgres Kysely reaches. */
export class SqlNotificationStore implements NotificationStore {
  constructor(private readonly db: Kysely<Database>) {}

  private owned(owner: NotificationOwner) {
    return this.db
      .selectFrom('notification')
      .selectAll()
      .where('namespace_id', '=', owner.namespaceId)
      .where((eb) =>
        owner.repositoryId === null
          ? eb('repository_id', 'is', null)
          : eb('repository_id', '=', owner.repositoryId),
      );
  }

  async create(n: NewNotification, nowMs: number): Promise<NotificationRecord> {
    const row = await this.db
      .insertInto('notification')
      .values({
        uuid: n.uuid,
        namespace_id: n.namespaceId,
        repository_id: n.repositoryId,
        event: n.event,
        method: n.method,
        config: asJson(n.config),
        event_config: asJson(n.eventConfig),
        title: n.title,
        secret_sealed: n.secretSealed,
        created_at_ms: nowMs,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toNotification(row);
  }

  async list(owner: NotificationOwner): Promise<NotificationRecord[]> {
    const rows = await this.owned(owner).orderBy('id').execute();
    return rows.map(toNotification);
  }

  async find(owner: NotificationOwner, uuid: string): Promise<NotificationRecord | null> {
    const row = await this.owned(owner).where('uuid', '=', uuid).executeTakeFirst();
    return row ? toNotification(row) : null;
  }

  async delete(owner: NotificationOwner, uuid: string): Promise<NotificationRecord | null> {
    const found = await this.find(owner, uuid);
    if (!found) return null;
    await this.db.deleteFrom('notification').where('id', '=', found.id).execute();
    return found;
  }

  async resetFailures(owner: NotificationOwner, uuid: string): Promise<NotificationRecord | null> {
    const found = await this.find(owner, uuid);
    if (!found) return null;
    await this.db
      .updateTable('notification')
      .set({ number_of_failures: 0 })
      .where('id', '=', found.id)
      .execute();
    return { ...found, numberOfFailures: 0 };
  }

  async enqueue(
    notificationId: number,
    event: string,
    payload: Record<string, unknown>,
    nowMs: number,
  ): Promise<void> {
    await this.db
      .insertInto('notification_delivery')
      .values(newDelivery(notificationId, event, payload, nowMs))
      .execute();
  }

  async deliveries(notificationId: number, limit: number): Promise<DeliveryRecord[]> {
    const rows = await this.db
      .selectFrom('notification_delivery')
      .selectAll()
      .where('notification_id', '=', notificationId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toDelivery);
  }

  async nextDueMs(): Promise<number | null> {
    const { rows } = await sql<{ due: string | number | null }>`
      select min(greatest(d.next_attempt_ms, coalesce(d.claimed_until_ms, 0))) as due
      from notification_delivery d
      join notification n on n.id = d.notification_id
      where d.state = 'pending' and n.number_of_failures < ${NOTIFICATION_FAILURE_LIMIT}`.execute(
      this.db,
    );
    const due = rows[0]?.due;
    return due === null || due === undefined ? null : Number(due);
  }

  async claimDue(nowMs: number, limit: number, claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    const { rows } = await sql<{ id: number }>`
      update notification_delivery set claim_token = ${claim.token},
        claimed_until_ms = ${claim.untilMs}
      where id in (
        select d.id from notification_delivery d
        join notification n on n.id = d.notification_id
        where d.state = 'pending' and d.next_attempt_ms <= ${nowMs}
          and (d.claimed_until_ms is null or d.claimed_until_ms < ${nowMs})
          and n.number_of_failures < ${NOTIFICATION_FAILURE_LIMIT}
        order by d.next_attempt_ms, d.id limit ${limit}
        for update of d skip locked)
      returning id`.execute(this.db);
    if (rows.length === 0) return [];
    const claimed = await this.db
      .selectFrom('notification_delivery as d')
      .innerJoin('notification as n', 'n.id', 'd.notification_id')
      .innerJoin('account as ns', 'ns.id', 'n.namespace_id')
      .leftJoin('repository as r', 'r.id', 'n.repository_id')
      .selectAll('n')
      .select([
        'd.id as delivery_id',
        'd.uuid as delivery_uuid',
        'd.event as delivery_event',
        'd.payload',
        'd.attempts',
        'd.created_at_ms as delivery_created_at_ms',
        'ns.name as namespace_name',
        'r.name as repository_name',
      ])
      .where(
        'd.id',
        'in',
        rows.map((r) => r.id),
      )
      .where('d.claim_token', '=', claim.token)
      .orderBy('d.next_attempt_ms')
      .orderBy('d.id')
      .execute();
    return claimed.map((r) => ({
      id: r.delivery_id,
      uuid: r.delivery_uuid,
      event: r.delivery_event,
      payload: r.payload,
      attempts: r.attempts,
      createdAtMs: r.delivery_created_at_ms,
      notification: {
        ...toNotification(r),
        namespaceName: r.namespace_name,
        repositoryName: r.repository_name,
      },
    }));
  }

  async failDisabled(nowMs: number): Promise<number> {
    const result = await this.db
      .updateTable('notification_delivery')
      .set({
        state: 'failed',
        last_error: DISABLED,
        finished_at_ms: nowMs,
        claim_token: null,
        claimed_until_ms: null,
      })
      .where('state', '=', 'pending')
      .where((eb) =>
        eb.or([eb('claimed_until_ms', 'is', null), eb('claimed_until_ms', '<', nowMs)]),
      )
      .where('notification_id', 'in', (eb) =>
        eb
          .selectFrom('notification')
          .select('id')
          .where('number_of_failures', '>=', NOTIFICATION_FAILURE_LIMIT),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async recordDelivered(ids: number[], token: string, nowMs: number): Promise<number> {
    if (ids.length === 0) return 0;
    return this.db.transaction().execute(async (trx) => {
      const done = await trx
        .updateTable('notification_delivery')
        .set({
          state: 'delivered',
          attempts: sql`attempts + 1`,
          finished_at_ms: nowMs,
          last_error: null,
          claim_token: null,
          claimed_until_ms: null,
        })
        .where('id', 'in', ids)
        .where('claim_token', '=', token)
        .returning('notification_id')
        .execute();
      const notifications = [...new Set(done.map((d) => d.notification_id))];
      if (notifications.length > 0) {
        await trx
          .updateTable('notification')
          .set({ number_of_failures: 0 })
          .where('id', 'in', notifications)
          .where('number_of_failures', '>', 0)
          .execute();
      }
      return done.length;
    });
  }

  async recordFailure(id: number, token: string, attempt: FailedAttempt): Promise<FailureOutcome> {
    return this.db.transaction().execute(async (trx): Promise<FailureOutcome> => {
      const delivery = await trx
        .selectFrom('notification_delivery')
        .select('notification_id')
        .where('id', '=', id)
        .where('claim_token', '=', token)
        .forUpdate()
        .executeTakeFirst();
      if (!delivery) return 'lost-claim';
      const { number_of_failures: failures } = await trx
        .updateTable('notification')
        .set({ number_of_failures: sql`number_of_failures + 1` })
        .where('id', '=', delivery.notification_id)
        .returning('number_of_failures')
        .executeTakeFirstOrThrow();
      const disabled = failures >= NOTIFICATION_FAILURE_LIMIT;
      const gaveUp = disabled || attempt.retryAtMs === null;
      await trx
        .updateTable('notification_delivery')
        .set({
          attempts: sql`attempts + 1`,
          last_error: disabled ? `${attempt.error}; ${DISABLED}` : attempt.error,
          claim_token: null,
          claimed_until_ms: null,
          ...(gaveUp
            ? { state: 'failed' as const, finished_at_ms: attempt.nowMs }
            : { next_attempt_ms: attempt.retryAtMs! }),
        })
        .where('id', '=', id)
        .execute();
      return gaveUp ? 'gave-up' : 'retry';
    });
  }

  async forgetFinished(beforeMs: number): Promise<number> {
    const result = await this.db
      .deleteFrom('notification_delivery')
      .where('state', '!=', 'pending')
      .where('finished_at_ms', '<', beforeMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async subscribed(event: string): Promise<(NotificationRecord & { repositoryName: string })[]> {
    const rows = await this.db
      .selectFrom('notification as n')
      .innerJoin('repository as r', 'r.id', 'n.repository_id')
      .selectAll('n')
      .select('r.name as repository_name')
      .where('n.event', '=', event)
      .where('n.number_of_failures', '<', NOTIFICATION_FAILURE_LIMIT)
      .orderBy('n.id')
      .execute();
    return rows.map((r) => ({ ...toNotification(r), repositoryName: r.repository_name }));
  }

  async announceExpiring(
    notification: NotificationRecord,
    window: { nowMs: number; untilMs: number },
    payloadOf: (tags: string[]) => Record<string, unknown>,
  ): Promise<string[]> {
    if (notification.repositoryId === null) return [];
    const repositoryId = notification.repositoryId;
    return this.db.transaction().execute(async (trx) => {
      // The notification row is the lock: two workers never announce one notification at once.
      const still = await trx
        .selectFrom('notification')
        .select('id')
        .where('id', '=', notification.id)
        .forUpdate()
        .executeTakeFirst();
      if (!still) return [];
      // Announcements of expiries that have passed are no longer needed to avoid repeats.
      await trx
        .deleteFrom('notification_tag_expiry')
        .where('notification_id', '=', notification.id)
        .where('expires_at_ms', '<=', window.nowMs)
        .execute();
      const due = await trx
        .selectFrom('tag')
        .select(['tag.name', 'tag.lifetime_end_ms'])
        .where('tag.repository_id', '=', repositoryId)
        .where('tag.lifetime_end_ms', '>', window.nowMs)
        .where('tag.lifetime_end_ms', '<=', window.untilMs)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('notification_tag_expiry as e')
                .select('e.tag')
                .where('e.notification_id', '=', notification.id)
                .whereRef('e.tag', '=', 'tag.name')
                .whereRef('e.expires_at_ms', '=', 'tag.lifetime_end_ms'),
            ),
          ),
        )
        .orderBy('tag.name')
        .execute();
      if (due.length === 0) return [];
      await trx
        .insertInto('notification_tag_expiry')
        .values(
          due.map((t) => ({
            notification_id: notification.id,
            tag: t.name,
            expires_at_ms: t.lifetime_end_ms!,
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
      const tags = due.map((t) => t.name);
      await trx
        .insertInto('notification_delivery')
        .values(newDelivery(notification.id, notification.event, payloadOf(tags), window.nowMs))
        .execute();
      return tags;
    });
  }
}

export function newDelivery(
  notificationId: number,
  event: string,
  payload: Record<string, unknown>,
  nowMs: number,
) {
  return {
    uuid: randomUUID(),
    notification_id: notificationId,
    event,
    payload: asJson(payload),
    state: 'pending' as const,
    next_attempt_ms: nowMs,
    created_at_ms: nowMs,
  };
}
