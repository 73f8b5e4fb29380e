import { randomBytes } from 'node:crypto';
import { accessError } from '../errors/access-error.js';
import {
  notificationSecretContext,
  type DeliveryRecord,
  type NotificationOwner,
  type NotificationRecord,
} from '../ports/notification-store.js';
import {
  EVENTS,
  NAMESPACE_EVENTS,
  REPOSITORY_EVENTS,
  UNSUPPORTED_EVENTS,
  isEventKind,
} from '../notifications/events.js';
import { JsonTemplate, TemplateError } from '../notifications/json-template.js';
import { METHODS, isMethodKind, type MethodKind } from '../notifications/methods.js';
import type { AccessServices, AdminDeps } from './access-services.js';
import type { AuditKind, AuditTarget } from './audit.js';
import { OrganizationService } from './organizations.js';
import { accountOf, type Principal } from './principal.js';
import { RepositoryAdminService } from './repository-admin.js';
import { requireUser } from './users.js';

/** Whose notifications a request is about: a repository's, an organization's, or the caller's own namespace's. */
export type NotificationScope =
  { kind: 'repository'; name: string } | { kind: 'organization'; name: string } | { kind: 'user' };

export interface NewNotificationInput {
  event: string;
  method: string;
  config: Record<string, unknown>;
  eventConfig: Record<string, unknown>;
  title: string | null;
}

interface Resolved {
  owner: NotificationOwner;
  /** The namespace's name, for in-app targets and sample data. */
  namespace: string;
  /** The repository's full name; null for namespace notifications. */
  repository: string | null;
  target: AuditTarget;
}

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;

/**
 * Quay's repository notifications (administered by the repository's
 * administrators) and namespace notifications for quota events (by the
 * organization's administrators, or the user for their own namespace).
 * Targets are checked when a notification is saved: a URL must pass the
 * address guard, an e-mail address must have been confirmed for the
 * repository, an in-app target must exist. A webhook gets a signing
 * secret, shown once in the answer that creates it.
 */
export class NotificationService {
  constructor(
    private readonly s: AccessServices,
    private readonly admin: AdminDeps,
  ) {}

  private async resolve(actor: Principal, scope: NotificationScope): Promise<Resolved> {
    if (scope.kind === 'repository') {
      const view = await new RepositoryAdminService(this.s).requireAdmin(actor, scope.name);
      return {
        owner: { namespaceId: view.namespace.id, repositoryId: view.repository.id },
        namespace: view.namespace.name,
        repository: view.repository.name,
        target: { namespace: view.namespace, repository: view.repository },
      };
    }
    const namespace =
      scope.kind === 'organization'
        ? await new OrganizationService(this.s).requireAdmin(actor, scope.name)
        : requireUser(actor).account;
    return {
      owner: { namespaceId: namespace.id, repositoryId: null },
      namespace: namespace.name,
      repository: null,
      target: { namespace },
    };
  }

  async list(actor: Principal, scope: NotificationScope): Promise<NotificationRecord[]> {
    const { owner } = await this.resolve(actor, scope);
    return this.admin.notifications.list(owner);
  }

  async get(actor: Principal, scope: NotificationScope, uuid: string): Promise<NotificationRecord> {
    const { owner } = await this.resolve(actor, scope);
    return this.require(owner, uuid);
  }

  private async require(owner: NotificationOwner, uuid: string): Promise<NotificationRecord> {
    const found = await this.admin.notifications.find(owner, uuid);
    if (!found) throw accessError('not_found', `no notification ${uuid}`);
    return found;
  }

  async create(
    actor: Principal,
    scope: NotificationScope,
    input: NewNotificationInput,
  ): Promise<{ notification: NotificationRecord; secret: string | null }> {
    const resolved = await this.resolve(actor, scope);
    this.checkEvent(resolved, input.event, input.eventConfig);
    if (!isMethodKind(input.method)) {
      throw accessError(
        'invalid_request',
        `Unknown notification method '${input.method}'; one of ${METHODS.join(', ')}`,
      );
    }
    await this.checkConfig(actor, resolved, input.method, input.config);
    const uuid = this.s.deps.newId();
    const secret = input.method === 'webhook' ? randomBytes(32).toString('base64url') : null;
    const notification = await this.admin.notifications.create(
      {
        uuid,
        namespaceId: resolved.owner.namespaceId,
        repositoryId: resolved.owner.repositoryId,
        event: input.event,
        method: input.method,
        config: input.config,
        eventConfig: input.eventConfig,
        title: input.title,
        secretSealed: secret
          ? this.admin.credentials.seal(secret, notificationSecretContext(uuid))
          : null,
      },
      this.s.deps.clock.now(),
    );
    await this.record(actor, resolved, 'create', notification);
    return { notification, secret };
  }

  async delete(actor: Principal, scope: NotificationScope, uuid: string): Promise<void> {
    const resolved = await this.resolve(actor, scope);
    const deleted = await this.admin.notifications.delete(resolved.owner, uuid);
    if (!deleted) throw accessError('not_found', `no notification ${uuid}`);
    await this.record(actor, resolved, 'delete', deleted);
  }

  /** Sets the failure count to 0: a notification disabled by failures is enabled again. */
  async reset(actor: Principal, scope: NotificationScope, uuid: string): Promise<void> {
    const resolved = await this.resolve(actor, scope);
    const reset = await this.admin.notifications.resetFailures(resolved.owner, uuid);
    if (!reset) throw accessError('not_found', `no notification ${uuid}`);
    await this.record(actor, resolved, 'reset', reset);
  }

  /** Queues Quay's sample event for this notification alone, and wakes the sender. */
  async test(actor: Principal, scope: NotificationScope, uuid: string): Promise<void> {
    const resolved = await this.resolve(actor, scope);
    const notification = await this.require(resolved.owner, uuid);
    if (!isEventKind(notification.event)) {
      throw accessError('invalid_request', `event ${notification.event} cannot be tested`);
    }
    const now = this.s.deps.clock.now();
    const sample = EVENTS[notification.event].sample(
      resolved.repository ?? resolved.namespace,
      notification.eventConfig,
    );
    await this.admin.notifications.enqueue(notification.id, notification.event, sample, now);
    await this.admin.wakeups.wakeAt('notifications', now);
  }

  /** The latest deliveries, dead letters with their reasons included. */
  async deliveries(
    actor: Principal,
    scope: NotificationScope,
    uuid: string,
    limit: number,
  ): Promise<DeliveryRecord[]> {
    const { owner } = await this.resolve(actor, scope);
    const notification = await this.require(owner, uuid);
    return this.admin.notifications.deliveries(notification.id, limit);
  }

  private checkEvent(resolved: Resolved, event: string, eventConfig: Record<string, unknown>) {
    const allowed: readonly string[] =
      resolved.repository === null ? NAMESPACE_EVENTS : REPOSITORY_EVENTS;
    if ((UNSUPPORTED_EVENTS as readonly string[]).includes(event)) {
      throw accessError(
        'invalid_request',
        `Event '${event}' is not raised by this registry (it has no security scanner and no builds)`,
      );
    }
    if (!allowed.includes(event)) {
      throw accessError(
        'invalid_request',
        `Invalid event '${event}'. Must be one of: ${allowed.join(', ')}`,
      );
    }
    if (event === 'repo_image_expiry') {
      const days = eventConfig.days;
      if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 365) {
        throw accessError(
          'invalid_request',
          'repo_image_expiry needs eventConfig.days, a whole number of days from 1 to 365',
        );
      }
    }
  }

  private async checkConfig(
    actor: Principal,
    resolved: Resolved,
    method: MethodKind,
    config: Record<string, unknown>,
  ): Promise<void> {
    switch (method) {
      case 'webhook':
      case 'slack': {
        const url = config.url;
        if (typeof url !== 'string' || url.trim() === '') {
          throw accessError(
            'invalid_request',
            method === 'slack' ? 'Missing Slack Callback URL' : 'Missing webhook URL',
          );
        }
        const refused = await this.admin.outbound.urlRefusal(url);
        if (refused) throw accessError('invalid_request', `Invalid webhook URL: ${refused}`);
        if (method === 'webhook') checkWebhookOptions(config);
        return;
      }
      case 'email':
        return this.checkEmail(actor, resolved, config.email);
      case 'quay_notification':
        return this.checkInboxTarget(resolved, config.target);
    }
  }

  private async checkEmail(actor: Principal, resolved: Resolved, email: unknown): Promise<void> {
    if (typeof email !== 'string' || email.trim() === '') {
      throw accessError('invalid_request', 'Missing e-mail address');
    }
    if (!EMAIL.test(email))
      throw accessError('invalid_request', `${email} is not an e-mail address`);
    if (!this.admin.mailer) {
      throw accessError('invalid_request', 'e-mail is not set up on this registry (MAIL_SERVER)');
    }
    if (resolved.owner.repositoryId !== null) {
      const authorized = await this.admin.authorizedEmails.find(resolved.owner.repositoryId, email);
      if (authorized?.confirmed) return;
    } else {
      // A namespace notification writes to the namespace's own address or the administrator's.
      const namespace = await this.s.deps.store.findAccountById(resolved.owner.namespaceId);
      if (namespace?.email === email || accountOf(actor)?.email === email) return;
    }
    throw accessError(
      'invalid_request',
      'The specified e-mail address is not authorized to receive notifications for this repository',
    );
  }

  private async checkInboxTarget(resolved: Resolved, target: unknown): Promise<void> {
    const t = target as { kind?: unknown; name?: unknown } | undefined;
    if (!t || typeof t.kind !== 'string' || typeof t.name !== 'string') {
      throw accessError('invalid_request', 'Missing target');
    }
    if (t.kind === 'user') {
      const user = await this.s.deps.store.findAccount(t.name);
      if (user?.kind !== 'user') throw accessError('invalid_request', `Unknown user ${t.name}`);
      return;
    }
    if (t.kind === 'org') {
      if (t.name !== resolved.namespace) {
        throw accessError('invalid_request', 'Organization name must match repository namespace');
      }
      const org = await this.s.deps.store.findAccount(t.name);
      if (org?.kind !== 'organization') {
        throw accessError('invalid_request', `Unknown organization ${t.name}`);
      }
      return;
    }
    if (t.kind === 'team') {
      const org = await this.s.deps.store.findAccount(resolved.namespace);
      const team =
        org?.kind === 'organization' && (await this.s.deps.store.findTeam(org.id, t.name));
      if (!team) throw accessError('invalid_request', `Unknown team ${t.name}`);
      return;
    }
    throw accessError('invalid_request', `Unknown target kind ${t.kind}; one of user, org, team`);
  }

  private async record(
    actor: Principal,
    resolved: Resolved,
    verb: 'create' | 'delete' | 'reset',
    n: NotificationRecord,
  ) {
    const kind = (
      resolved.repository === null
        ? `${verb}_namespace_notification`
        : `${verb === 'create' ? 'add' : verb}_repo_notification`
    ) as AuditKind;
    await this.s.audit.record(kind, actor, resolved.target, {
      notification_id: n.uuid,
      event: n.event,
      method: n.method,
    });
  }
}

function checkWebhookOptions(config: Record<string, unknown>): void {
  if (config.template !== undefined && config.template !== null && config.template !== '') {
    if (typeof config.template !== 'string') {
      throw accessError('invalid_request', 'config.template must be a JSON document in a string');
    }
    try {
      new JsonTemplate(config.template);
    } catch (error) {
      if (error instanceof TemplateError) throw accessError('invalid_request', error.message);
      throw error;
    }
  }
  if (config.format !== undefined && config.format !== 'quay' && config.format !== 'cloudevents') {
    throw accessError('invalid_request', 'config.format is quay (the default) or cloudevents');
  }
}
