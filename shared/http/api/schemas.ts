import { z } from '@hono/zod-openapi';
import { NamespaceQuotaReportView, QuotaView, RepositoryQuotaReportView } from './quota-views.js';

/**
 * Request and response shapes of `/api/v1`, with Quay's field names. The
 * OpenAPI document is generated from these; request bodies are strict, so
 * unknown fields are refused rather than ignored.
 */

export const QuayErrorSchema = z
  .object({
    status: z.number().int(),
    error_message: z.string(),
    error_type: z.string(),
    title: z.string(),
    detail: z.string(),
    type: z.string(),
  })
  .openapi('ApiError');

const name = (description: string) => z.string().min(1).max(255).openapi({ description });

export const RepositoryParams = z.object({
  namespace: name('user or organization').openapi({ param: { name: 'namespace', in: 'path' } }),
  repository: name('repository name within the namespace').openapi({
    param: { name: 'repository', in: 'path' },
  }),
});
export const OrgParams = z.object({
  orgname: name('organization').openapi({ param: { name: 'orgname', in: 'path' } }),
});
export const TeamParams = OrgParams.extend({
  teamname: name('team').openapi({ param: { name: 'teamname', in: 'path' } }),
});
export const TeamMemberParams = TeamParams.extend({
  membername: name('user or robot').openapi({ param: { name: 'membername', in: 'path' } }),
});
export const RobotParams = z.object({
  robot_shortname: name('robot name without the namespace+ prefix').openapi({
    param: { name: 'robot_shortname', in: 'path' },
  }),
});
export const OrgRobotParams = OrgParams.extend(RobotParams.shape);
/** A path's `{uuid}`: notifications and in-app notifications are named by one. */
export const UuidParams = z.object({
  uuid: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'uuid', in: 'path' } }),
});
export const UserParams = z.object({
  username: name('user').openapi({ param: { name: 'username', in: 'path' } }),
});

export const Visibility = z.enum(['public', 'private']);
export const RepositoryState = z.enum(['NORMAL', 'READ_ONLY', 'MIRROR']);
export const RepositoryRole = z.enum(['read', 'write', 'admin']);
export const TeamRole = z.enum(['member', 'creator', 'admin']);

export const Avatar = z.object({
  name: z.string(),
  hash: z.string(),
  color: z.string(),
  kind: z.string(),
});

export const UserView = z
  .object({
    anonymous: z.boolean(),
    username: z.string(),
    email: z.string().nullable(),
    verified: z.boolean(),
    avatar: Avatar,
    super_user: z.boolean(),
    can_create_repo: z.boolean(),
    organizations: z.array(
      z.object({
        name: z.string(),
        avatar: Avatar,
        is_org_admin: z.boolean(),
        can_create_repo: z.boolean(),
      }),
    ),
    quotas: z.array(QuotaView).optional(),
    quota_report: NamespaceQuotaReportView.optional().openapi({
      description: "the user's own namespace; absent without FEATURE_QUOTA_MANAGEMENT",
    }),
    tag_expiration_s: z.number().int(),
  })
  .openapi('User');

export const OrganizationView = z
  .object({
    name: z.string(),
    email: z.string().nullable(),
    avatar: Avatar,
    is_admin: z.boolean(),
    is_member: z.boolean(),
    tag_expiration_s: z.number().int().optional().openapi({ description: 'admins only' }),
    teams: z.record(z.string(), z.unknown()),
    ordered_teams: z.array(z.string()),
    quotas: z.array(QuotaView).optional().openapi({ description: 'members and admins only' }),
    quota_report: NamespaceQuotaReportView.optional().openapi({
      description: 'members and admins only; absent without FEATURE_QUOTA_MANAGEMENT',
    }),
  })
  .openapi('Organization');

export const TeamView = z
  .object({
    name: z.string(),
    description: z.string(),
    role: TeamRole,
    avatar: Avatar,
    can_view: z.boolean(),
    repo_count: z.number().int(),
    member_count: z.number().int(),
    is_synced: z.boolean(),
  })
  .openapi('Team');

export const MemberView = z.object({
  name: z.string(),
  kind: z.literal('user'),
  is_robot: z.boolean(),
  avatar: Avatar,
  invited: z.boolean(),
});

export const RobotView = z
  .object({
    name: z.string(),
    description: z.string(),
    created: z.string(),
    last_accessed: z.string().nullable(),
    token: z.string().optional().openapi({ description: 'only when created or regenerated' }),
    unstructured_metadata: z.record(z.string(), z.unknown()),
  })
  .openapi('Robot');

export const RepositoryView = z
  .object({
    namespace: z.string(),
    name: z.string(),
    kind: z.literal('image'),
    description: z.string(),
    is_public: z.boolean(),
    is_organization: z.boolean(),
    is_starred: z.boolean(),
    state: RepositoryState,
    can_write: z.boolean(),
    can_admin: z.boolean(),
    tag_expiration_s: z
      .number()
      .int()
      .openapi({ description: "the namespace's time-machine window, in seconds" }),
    quota_report: RepositoryQuotaReportView.optional().openapi({
      description: 'absent without FEATURE_QUOTA_MANAGEMENT',
    }),
    tags: z
      .record(
        z.string(),
        z.object({
          name: z.string(),
          size: z.number().int().nullable(),
          last_modified: z.string(),
          expiration: z.string().optional(),
          manifest_digest: z.string(),
        }),
      )
      .optional()
      .openapi({ description: 'with includeTags (the default): the newest live tags, by name' }),
  })
  .openapi('Repository');

export const RepositorySummary = z
  .object({
    namespace: z.string(),
    name: z.string(),
    kind: z.literal('image'),
    description: z.string(),
    is_public: z.boolean(),
    state: RepositoryState,
    last_modified: z.number().int().nullable().optional().openapi({
      description: 'in listings: when a tag was last pushed or moved, in seconds since the epoch',
    }),
    quota_report: RepositoryQuotaReportView.optional().openapi({
      description: 'absent without FEATURE_QUOTA_MANAGEMENT',
    }),
  })
  .openapi('RepositorySummary');

export const PermissionView = z
  .object({
    role: RepositoryRole,
    name: z.string(),
    is_robot: z.boolean().optional(),
    avatar: Avatar,
  })
  .openapi('Permission');

export const AppTokenView = z
  .object({
    uuid: z.string(),
    title: z.string(),
    last_accessed: z.string().nullable(),
    created: z.string(),
    expiration: z.string().nullable(),
    token_code: z.string().optional().openapi({ description: 'only when created' }),
  })
  .openapi('AppToken');

export const LogView = z
  .object({
    kind: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    datetime: z.string(),
    performer: z
      .object({ kind: z.string(), name: z.string(), is_robot: z.boolean(), avatar: Avatar })
      .optional(),
    namespace: z.object({ kind: z.string(), name: z.string(), avatar: Avatar }).optional(),
  })
  .openapi('Log');

export const LogsPage = z
  .object({
    start_time: z.string(),
    end_time: z.string(),
    logs: z.array(LogView),
    next_page: z.string().optional(),
  })
  .openapi('Logs');

export const LogsQuery = z.object({
  starttime: z
    .string()
    .optional()
    .openapi({ description: 'MM/DD/YYYY (UTC) or ISO 8601; default a week ago' }),
  endtime: z
    .string()
    .optional()
    .openapi({ description: 'MM/DD/YYYY (UTC, inclusive) or ISO 8601; default now' }),
  next_page: z.string().optional(),
});

export const Empty = z.object({}).openapi('Empty');

/** The repositories of a namespace a team or robot has a role on. */
export const NamespacePermissions = z
  .object({
    permissions: z.array(
      z.object({
        repository: z.object({ name: z.string(), is_public: z.boolean() }),
        role: RepositoryRole,
      }),
    ),
  })
  .openapi('NamespacePermissions');
