import { createHmac } from 'node:crypto';
import type { InboxTarget } from '../ports/inbox-store.js';
import type { MailMessage } from '../ports/notification-transport.js';
import { EVENTS, escapeHtml, type EventKind, type EventLevel } from './events.js';
import { JsonTemplate } from './json-template.js';

/**
 * How a notification reaches people: Quay's methods, and what each sends.
 * Webhooks are signed (Quay's are not): `X-Berth-Signature-256` holds
 * `sha256=` and the hex HMAC-SHA256 of the exact body under the
 * notification's secret, as GitHub signs its webhooks, so receivers can
 * check where a request came from. `X-Berth-Delivery` is the same on every
 * attempt of one delivery: delivery is at least once, and a receiver
 * dedupes by it.
 */
export const METHODS = ['webhook', 'slack', 'email', 'quay_notification'] as const;
export type MethodKind = (typeof METHODS)[number];

export function isMethodKind(value: string): value is MethodKind {
  return (METHODS as readonly string[]).includes(value);
}

export const SIGNATURE_HEADER = 'X-Berth-Signature-256';
export const DELIVERY_HEADER = 'X-Berth-Delivery';
export const EVENT_HEADER = 'X-Berth-Event';

/** Webhook bodies: Quay's event data, or a CloudEvents 1.0 envelope (structured mode). */
export type WebhookFormat = 'quay' | 'cloudevents';

/** What one delivery sends, whatever carries it. */
export type Outgoing =
  | { kind: 'http'; url: string; body: string; headers: Record<string, string> }
  | { kind: 'mail'; message: MailMessage }
  | {
      kind: 'inbox';
      target: InboxTarget;
      entry: { kind: string; metadata: Record<string, unknown> };
    };

export interface DeliveryToRender {
  uuid: string;
  event: EventKind;
  /** Event data with its URLs. */
  data: Record<string, unknown>;
  createdAtMs: number;
  notification: {
    method: MethodKind;
    config: Record<string, unknown>;
    /** The signing secret in clear, for webhooks. */
    secret: string | null;
    namespaceName: string;
  };
}

const SLACK_COLORS: Record<EventLevel, string> = {
  info: '#439FE0',
  warning: 'warning',
  error: 'danger',
  success: 'good',
  primary: 'good',
};

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function webhook(d: DeliveryToRender): Outgoing {
  const config = d.notification.config;
  const format: WebhookFormat = config.format === 'cloudevents' ? 'cloudevents' : 'quay';
  const payload =
    typeof config.template === 'string' && config.template.trim() !== ''
      ? new JsonTemplate(config.template).apply(d.data)
      : d.data;
  const body = JSON.stringify(format === 'cloudevents' ? cloudEvent(d, payload) : payload);
  const headers: Record<string, string> = {
    'Content-Type':
      format === 'cloudevents' ? 'application/cloudevents+json; charset=utf-8' : 'application/json',
    'User-Agent': 'Berth-Notifications/1',
    [EVENT_HEADER]: d.event,
    [DELIVERY_HEADER]: d.uuid,
  };
  if (d.notification.secret) headers[SIGNATURE_HEADER] = signature(d.notification.secret, body);
  return { kind: 'http', url: String(config.url), body, headers };
}

/**
 * CloudEvents 1.0, structured content mode: the required `specversion`,
 * `id`, `source` and `type`, with `time`, `subject` and the event data.
 */
function cloudEvent(d: DeliveryToRender, payload: unknown): Record<string, unknown> {
  const repository = typeof d.data.repository === 'string' ? d.data.repository : null;
  return {
    specversion: '1.0',
    id: d.uuid,
    source:
      typeof d.data.homepage === 'string'
        ? d.data.homepage
        : `/${repository ? `repository/${repository}` : `organization/${d.notification.namespaceName}`}`,
    type: `berth.${d.event}`,
    time: new Date(d.createdAtMs).toISOString(),
    subject: repository ?? d.notification.namespaceName,
    datacontenttype: 'application/json',
    data: payload,
  };
}

/**
 * Slack's mrkdwn from the event's small HTML message. Slack reads `&amp;`,
 * `&lt;` and `&gt;` as the escaped characters, so those stay escaped.
 */
function slackText(html: string): string {
  return html
    .replace(/<\/?(b|strong)>/g, '*')
    .replace(/<\/?code>/g, '`')
    .replace(/<(?!\/?a[\s>])[^>]+>/g, '')
    .replace(/<a href="([^"]*)">(.*?)<\/a>/g, '<$1|$2>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

function plainText(html: string): string {
  return html
    .replace(/<a href="([^"]*)">(.*?)<\/a>/g, '$2 ($1)')
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function slack(d: DeliveryToRender): Outgoing {
  const event = EVENTS[d.event];
  const summary = event.summary(d.data);
  const body = JSON.stringify({
    text: summary,
    username: 'Berth',
    attachments: [
      {
        fallback: summary,
        text: slackText(event.message(d.data)),
        color: SLACK_COLORS[event.level],
        mrkdwn_in: ['text'],
      },
    ],
  });
  return {
    kind: 'http',
    url: String(d.notification.config.url),
    body,
    headers: { 'Content-Type': 'application/json', 'User-Agent': 'Berth-Notifications/1' },
  };
}

function email(d: DeliveryToRender): Outgoing {
  const event = EVENTS[d.event];
  const summary = event.summary(d.data);
  const message = event.message(d.data);
  return {
    kind: 'mail',
    message: {
      to: String(d.notification.config.email),
      subject: summary,
      html: `<p>${message}</p><p style="color:#666">Sent by Berth for ${escapeHtml(String(d.data.repository ?? d.data.namespace))} (${escapeHtml(d.event)}).</p>`,
      text: `${plainText(message)}\n\nSent by Berth for ${String(d.data.repository ?? d.data.namespace)} (${d.event}).\n`,
    },
  };
}

function inbox(d: DeliveryToRender): Outgoing {
  const target = d.notification.config.target as { kind: string; name: string };
  return {
    kind: 'inbox',
    target:
      target.kind === 'team'
        ? { kind: 'team', organization: d.notification.namespaceName, name: target.name }
        : { kind: target.kind === 'org' ? 'org' : 'user', name: target.name },
    entry: { kind: d.event, metadata: d.data },
  };
}

/** What a delivery sends, by its notification's method. */
export function render(d: DeliveryToRender): Outgoing {
  switch (d.notification.method) {
    case 'webhook':
      return webhook(d);
    case 'slack':
      return slack(d);
    case 'email':
      return email(d);
    case 'quay_notification':
      return inbox(d);
  }
}
