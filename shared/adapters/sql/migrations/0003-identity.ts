import { sql, type Kysely } from 'kysely';

const byteOrderedText = sql`text collate "C"`;

/**
 * Accounts, teams, permissions, tokens and the audit log. Users,
 * organizations and robots share one name space (`account.name`), as in
 * Quay: a robot is named `<namespace>+<short name>`, so it can never collide
 * with a user or an organization, whose names may not contain `+`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('account')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('name', byteOrderedText, (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('user', 'organization', 'robot')`),
    )
    .addColumn('email', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('token_hash', 'text')
    .addColumn('robot_owner_id', 'bigint', (c) => c.references('account.id').onDelete('cascade'))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('invalid_login_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_invalid_login_ms', 'bigint')
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_accessed_ms', 'bigint')
    .execute();
  await db.schema
    .createIndex('account_email')
    .on('account')
    .column('email')
    .unique()
    .where(sql.ref('email'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('account_robot_owner')
    .on('account')
    .column('robot_owner_id')
    .execute();

  await db.schema
    .createTable('team')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('organization_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('name', byteOrderedText, (c) => c.notNull())
    .addColumn('role', 'text', (c) =>
      c.notNull().check(sql`role in ('member', 'creator', 'admin')`),
    )
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addUniqueConstraint('team_organization_name', ['organization_id', 'name'])
    .execute();

  await db.schema
    .createTable('team_member')
    .addColumn('team_id', 'bigint', (c) => c.notNull().references('team.id').onDelete('cascade'))
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('team_member_pk', ['team_id', 'account_id'])
    .execute();
  await db.schema
    .createIndex('team_member_account')
    .on('team_member')
    .column('account_id')
    .execute();

  // Repositories created before access control have no namespace; they are
  // readable by superusers only until an administrator moves them.
  await db.schema
    .alterTable('repository')
    .addColumn('namespace_id', 'bigint', (c) => c.references('account.id').onDelete('cascade'))
    .addColumn('visibility', 'text', (c) =>
      c
        .notNull()
        .defaultTo('private')
        .check(sql`visibility in ('public', 'private')`),
    )
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('NORMAL')
        .check(sql`state in ('NORMAL', 'READ_ONLY', 'MIRROR')`),
    )
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('mirror_robot_id', 'bigint', (c) => c.references('account.id').onDelete('set null'))
    .execute();
  await db.schema
    .createIndex('repository_namespace')
    .on('repository')
    .column('namespace_id')
    .execute();

  await db.schema
    .createTable('repository_permission')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('repository_id', 'bigint', (c) =>
      c.notNull().references('repository.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'bigint', (c) => c.references('account.id').onDelete('cascade'))
    .addColumn('team_id', 'bigint', (c) => c.references('team.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('read', 'write', 'admin')`))
    .addCheckConstraint(
      'repository_permission_one_delegate',
      sql`(account_id is null) <> (team_id is null)`,
    )
    .execute();
  await db.schema
    .createIndex('repository_permission_account')
    .on('repository_permission')
    .columns(['repository_id', 'account_id'])
    .unique()
    .where(sql.ref('account_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('repository_permission_team')
    .on('repository_permission')
    .columns(['repository_id', 'team_id'])
    .unique()
    .where(sql.ref('team_id'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('repository_permission_by_account')
    .on('repository_permission')
    .column('account_id')
    .execute();
  await db.schema
    .createIndex('repository_permission_by_team')
    .on('repository_permission')
    .column('team_id')
    .execute();

  // Quay's "prototypes": permissions every new repository of an organization starts with.
  await db.schema
    .createTable('default_permission')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organization_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('account_id', 'bigint', (c) => c.references('account.id').onDelete('cascade'))
    .addColumn('team_id', 'bigint', (c) => c.references('team.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('read', 'write', 'admin')`))
    .addCheckConstraint(
      'default_permission_one_delegate',
      sql`(account_id is null) <> (team_id is null)`,
    )
    .execute();
  await db.schema
    .createIndex('default_permission_organization')
    .on('default_permission')
    .column('organization_id')
    .execute();

  await db.schema
    .createTable('app_token')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('account.id').onDelete('cascade'),
    )
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint')
    .addColumn('last_accessed_ms', 'bigint')
    .execute();
  await db.schema.createIndex('app_token_account').on('app_token').column('account_id').execute();

  // No foreign keys: the log outlives the accounts and repositories it names.
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('performer_id', 'bigint')
    .addColumn('performer_name', 'text')
    .addColumn('namespace_id', 'bigint')
    .addColumn('namespace_name', 'text')
    .addColumn('repository_id', 'bigint')
    .addColumn('repository_name', 'text')
    .addColumn('ip', 'text')
    .addColumn('metadata', 'jsonb', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  for (const column of ['performer_id', 'namespace_id', 'repository_id'] as const) {
    await db.schema
      .createIndex(`audit_log_${column}`)
      .on('audit_log')
      .columns([column, 'created_at_ms'])
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'audit_log',
    'app_token',
    'default_permission',
    'repository_permission',
    'team_member',
    'team',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema
    .alterTable('repository')
    .dropColumn('namespace_id')
    .dropColumn('visibility')
    .dropColumn('state')
    .dropColumn('description')
    .dropColumn('mirror_robot_id')
    .execute();
  await db.schema.dropTable('account').ifExists().execute();
}
