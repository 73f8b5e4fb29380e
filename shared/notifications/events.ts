import { namespaceEventData, repositoryEventData } from './event-data.js';

/**
 * The events notifications subscribe to, Quay's names and levels. A
 * repository notification subscribes to repository events; a namespace
 * notification (Quay's organization and user "namespace notifications")
 * to the quota events.
 */
export const REPOSITORY_EVENTS = [
  'repo_push',
  'repo_mirror_sync_started',
  'repo_mirror_sync_success',
  'repo_mirror_sync_failed',
  'repo_image_expiry',
] as const;
export const NAMESPACE_EVENTS = ['quota_warning', 'quota_error'] as const;

export type RepositoryEventKind = (typeof REPOSITORY_EVENTS)[number];
export type NamespaceEventKind = (typeof NAMESPACE_EVENTS)[number];
export type EventKind = RepositoryEventKind | NamespaceEventKind;

/** Quay's events Berth has nothing to raise them (no security scanner, no builds). */
export const UNSUPPORTED_EVENTS = [
  'vulnerability_found',
  'build_queued',
  'build_start',
  'build_success',
  'build_failure',
  'build_cancelled',
] as const;

/** How an event reads in a chat message or an e-mail; Quay's levels. */
export type EventLevel = 'info' | 'warning' | 'error' | 'primary' | 'success';

interface EventDescription {
  level: EventLevel;
  summary(data: Record<string, unknown>): string;
  /** A short HTML message; every value in it is escaped. */
  message(data: Record<string, unknown>): string;
  /** What `POST …/test` sends (Quay's sample data). */
  sample(scope: string, eventConfig: Record<string, unknown>): Record<string, unknown>;
}

const text = (value: unknown) => escapeHtml(value === undefined ? '' : String(value));
const list = (value: unknown) =>
  Array.isArray(value) ? value.map((v) => `<code>${text(v)}</code>`).join(', ') : '';
const link = (data: Record<string, unknown>, label: unknown) =>
  typeof data.homepage === 'string'
    ? `<a href="${text(data.homepage)}">${text(label)}</a>`
    : `<b>${text(label)}</b>`;
const bytes = (value: unknown) =>
  typeof value === 'number' ? `${(value / 1024 ** 3).toFixed(2)} GiB` : '?';

const mirrorSample = (repository: string) =>
  repositoryEventData(repository, { message: 'TEST NOTIFICATION' });

export const EVENTS: Record<EventKind, EventDescription> = {
  repo_push: {
    level: 'primary',
    summary: (d) => `Repository ${String(d.repository)} updated`,
    message: (d) =>
      `${link(d, d.repository)} was pushed to; tags updated: ${list(d.updated_tags)}.`,
    sample: (repository) =>
      repositoryEventData(repository, { updated_tags: ['latest', 'foo'], pruned_image_count: 3 }),
  },
  repo_mirror_sync_started: {
    level: 'info',
    summary: (d) => `Repository Mirror started for ${String(d.message)}`,
    message: (d) => `The mirror of ${link(d, d.repository)} started: ${text(d.message)}.`,
    sample: mirrorSample,
  },
  repo_mirror_sync_success: {
    level: 'success',
    summary: (d) => `Repository Mirror success for ${String(d.message)}`,
    message: (d) => `The mirror of ${link(d, d.repository)} succeeded: ${text(d.message)}.`,
    sample: mirrorSample,
  },
  repo_mirror_sync_failed: {
    level: 'error',
    summary: (d) => `Repository Mirror failed for ${String(d.message)}`,
    message: (d) => `The mirror of ${link(d, d.repository)} failed: ${text(d.message)}.`,
    sample: mirrorSample,
  },
  repo_image_expiry: {
    level: 'info',
    summary: (d) => `Repository ${String(d.repository)} image(s) expiring`,
    message: (d) =>
      `Tags of ${link(d, d.repository)} expire in ${text(d.expiring_in)}: ${list(d.tags)}.`,
    sample: (repository, config) =>
      repositoryEventData(repository, {
        tags: ['latest', 'prod'],
        expiring_in: `${Number(config.days ?? 1)} days`,
      }),
  },
  quota_warning: {
    level: 'warning',
    summary: (d) => `Quota warning for namespace ${String(d.namespace)}`,
    message: (d) =>
      `${link(d, d.namespace)} uses ${bytes(d.size_bytes)} of its ${bytes(d.limit_bytes)} quota, past the warning threshold of ${bytes(d.threshold_bytes)}.`,
    sample: (namespace) =>
      namespaceEventData(namespace, {
        repository: `${namespace}/sample`,
        size_bytes: 9 * 1024 ** 3,
        threshold_bytes: 8 * 1024 ** 3,
        limit_bytes: 10 * 1024 ** 3,
      }),
  },
  quota_error: {
    level: 'error',
    summary: (d) => `Quota exceeded for namespace ${String(d.namespace)}`,
    message: (d) =>
      `A push to ${text(d.repository)} was refused: ${link(d, d.namespace)} would use ${bytes(d.size_bytes)}, past the reject threshold of ${bytes(d.threshold_bytes)} of its ${bytes(d.limit_bytes)} quota.`,
    sample: (namespace) =>
      namespaceEventData(namespace, {
        repository: `${namespace}/sample`,
        size_bytes: 11 * 1024 ** 3,
        threshold_bytes: 10 * 1024 ** 3,
        limit_bytes: 10 * 1024 ** 3,
      }),
  },
};

export function isEventKind(value: string): value is EventKind {
  return Object.hasOwn(EVENTS, value);
}

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
