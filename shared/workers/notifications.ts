import type { Clock } from '../ports/clock.js';
import type { EventOutbox, EventPublisher } from '../ports/event-outbox.js';
import type { InboxStore } from '../ports/inbox-store.js';
import {
  notificationSecretContext,
  type ClaimedDelivery,
  type NotificationStore,
} from '../ports/notification-store.js';
import type { Mailer, OutboundHttp } from '../ports/notification-transport.js';
import type { Wakeups } from '../ports/wakeups.js';
import { withUrls, type PublicAddress } from '../notifications/event-data.js';
import { REPOSITORY_EVENTS, isEventKind } from '../notifications/events.js';
import { isMethodKind, render, type Outgoing } from '../notifications/methods.js';
import { inParallel } from './in-parallel.js';

const REPOSITORY_EVENTS_SET = new Set<string>(REPOSITORY_EVENTS);

export interface NotificationWorkerOptions {
  /** Deliveries claimed at once. */
  batchSize: number;
  /** Deliveries sent at once. */
  concurrency: number;
  /** How long a claim holds; longer than a send may take (the HTTP timeout). */
  leaseMs: number;
  /** The first retry's delay (Quay retries after 30 s); each further one doubles. */
  firstRetryMs: number;
  /** Attempts before a delivery is given up on, unless its notification is disabled sooner. */
  maxAttempts: number;
  /** A run stops claiming new deliveries after this long. */
  budgetMs: number;
  /** Events published to the bus per call (EventBridge's PutEvents takes at most 10). */
  publishBatch: number;
}

export const DEFAULT_NOTIFICATION_WORKER: NotificationWorkerOptions = {
  batchSize: 64,
  concurrency: 16,
  leaseMs: 120_000,
  firstRetryMs: 30_000,
  maxAttempts: 5,
  budgetMs: 5 * 60_000,
  publishBatch: 10,
};

export interface NotificationDeps {
  store: NotificationStore;
  inbox: InboxStore;
  outbox: EventOutbox;
  /** The event bus registry events are published to; null when none is configured. */
  publisher: EventPublisher | null;
  http: OutboundHttp;
  /** Null when e-mail is not set up: e-mail deliveries then fail, saying so. */
  mailer: Mailer | null;
  /** Opens the webhook signing secrets. */
  secrets: { open(sealed: string, context: string): string };
  /** Asks for the next run at a retry's time. */
  wakeups: Wakeups;
  clock: Clock;
  newId: () => string;
  /** Where clients reach the registry, for the URLs in event data; null when unknown. */
  address: () => PublicAddress | null;
  options: NotificationWorkerOptions;
}

export interface NotificationRun {
  delivered: number;
  retrying: number;
  failed: number;
  published: number;
}

/**
 * Sends due deliveries until none is left or the budget is spent, then
 * publishes recorded events to the bus. A delivery whose notification was
 * disabled is given up on unsent, saying why. A failed attempt is retried
 * at 30 s, then 60 s, doubling, and the run asks to be woken then (as it
 * does for any delivery still waiting when it ends); the
 * claim lease means a worker that dies mid-send leaves the delivery to be
 * sent again once it lapses: delivery is at least once.
 */
export async function runNotifications(deps: NotificationDeps): Promise<NotificationRun> {
  const run: NotificationRun = { delivered: 0, retrying: 0, failed: 0, published: 0 };
  run.failed += await deps.store.failDisabled(deps.clock.now());
  const deadline = deps.clock.now() + deps.options.budgetMs;
  while (deps.clock.now() < deadline) {
    const token = deps.newId();
    const claimed = await deps.store.claimDue(deps.clock.now(), deps.options.batchSize, {
      token,
      untilMs: deps.clock.now() + deps.options.leaseMs,
    });
    if (claimed.length === 0) break;
    const sent: number[] = [];
    const retries = new Set<number>();
    await inParallel(claimed, deps.options.concurrency, async (delivery) => {
      const outcome = await deliver(deps, delivery, token);
      if (outcome === 'sent') sent.push(delivery.id);
      else if (typeof outcome === 'number') {
        retries.add(outcome);
        run.retrying += 1;
      } else run[outcome] += 1;
    });
    // One write for the batch's successes; a crash before it sends them again (at least once).
    run.delivered += await deps.store.recordDelivered(sent, token, deps.clock.now());
    // One wakeup per second that retries fall due in, not one per retry.
    for (const atMs of retries) await deps.wakeups.wakeAt('notifications', atMs);
  }
  // What waits beyond this run, a retry an earlier process scheduled and
  // took its wakeup with it when it died included, is woken for when due.
  const next = await deps.store.nextDueMs();
  if (next !== null && next > deps.clock.now()) {
    await deps.wakeups.wakeAt('notifications', Math.ceil(next / 1000) * 1000);
  }
  if (deps.publisher) run.published = await publish(deps, deps.publisher, deadline);
  return run;
}

async function deliver(
  deps: NotificationDeps,
  delivery: ClaimedDelivery,
  token: string,
): Promise<'sent' | 'retrying' | 'failed' | number> {
  let error: string;
  try {
    await send(deps, outgoingOf(deps, delivery));
    return 'sent';
  } catch (failure) {
    error = (failure as Error).message;
  }
  const attempts = delivery.attempts + 1;
  const retryAtMs =
    attempts >= deps.options.maxAttempts
      ? null
      : deps.clock.now() + deps.options.firstRetryMs * 2 ** delivery.attempts;
  const outcome = await deps.store.recordFailure(delivery.id, token, {
    error,
    retryAtMs,
    nowMs: deps.clock.now(),
  });
  // A retry answers the second it falls due in, for the run to wake then.
  if (outcome === 'retry' && retryAtMs !== null) return Math.ceil(retryAtMs / 1000) * 1000;
  return outcome === 'gave-up' ? 'failed' : 'retrying';
}

/** What to send; throws (a failed attempt) for a notification this registry cannot send. */
function outgoingOf(deps: NotificationDeps, delivery: ClaimedDelivery): Outgoing {
  const n = delivery.notification;
  const address = deps.address();
  if (!isEventKind(delivery.event)) throw new Error(`unknown event ${delivery.event}`);
  if (!isMethodKind(n.method)) throw new Error(`unknown notification method ${n.method}`);
  return render({
    uuid: delivery.uuid,
    event: delivery.event,
    data: address
      ? withUrls(delivery.payload, address, REPOSITORY_EVENTS_SET.has(delivery.event))
      : delivery.payload,
    createdAtMs: delivery.createdAtMs,
    notification: {
      method: n.method,
      config: n.config,
      secret: n.secretSealed
        ? deps.secrets.open(n.secretSealed, notificationSecretContext(n.uuid))
        : null,
      namespaceName: n.namespaceName,
    },
  });
}

async function send(deps: NotificationDeps, outgoing: Outgoing): Promise<void> {
  switch (outgoing.kind) {
    case 'http': {
      const { status } = await deps.http.post(outgoing.url, outgoing.body, outgoing.headers);
      // Redirects are not followed (see OutboundHttp): a 3xx fails like any non-2xx.
      if (status < 200 || status > 299) throw new Error(`the receiver answered ${status}`);
      return;
    }
    case 'mail':
      if (!deps.mailer) throw new Error('e-mail is not set up on this registry (MAIL_SERVER)');
      await deps.mailer.send(outgoing.message);
      return;
    case 'inbox': {
      const written = await deps.inbox.post(
        outgoing.target,
        outgoing.entry,
        deps.newId,
        deps.clock.now(),
      );
      if (written === 0)
        throw new Error(`no ${outgoing.target.kind} ${outgoing.target.name} to notify`);
      return;
    }
  }
}

/**
 * Publishes recorded events to the bus, oldest first, in batches the bus
 * takes at once. Refused events keep their place and are tried again when
 * their claim lapses; a batch with refusals ends this run's publishing,
 * so a bus that refuses everything is not hammered.
 */
async function publish(
  deps: NotificationDeps,
  publisher: EventPublisher,
  deadline: number,
): Promise<number> {
  let published = 0;
  while (deps.clock.now() < deadline) {
    const token = deps.newId();
    const events = await deps.outbox.claimUnpublished(deps.clock.now(), deps.options.publishBatch, {
      token,
      untilMs: deps.clock.now() + deps.options.leaseMs,
    });
    if (events.length === 0) break;
    const { refused } = await publisher.publish(events);
    const refusedIds = new Set(refused.map((r) => r.id));
    const done = events.filter((e) => !refusedIds.has(e.id)).map((e) => e.id);
    await deps.outbox.markPublished(done, token, deps.clock.now());
    published += done.length;
    if (refused.length > 0) {
      throw new Error(
        `the event bus refused ${refused.length} event(s): ${refused.map((r) => r.reason).join('; ')}`,
      );
    }
  }
  return published;
}
