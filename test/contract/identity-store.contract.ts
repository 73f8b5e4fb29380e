import { expect, it } from 'vitest';
import { AccountExistsError, type IdentityStore } from '../../shared/ports/identity-store.js';
import type { OAuthStore } from '../../shared/ports/oauth-store.js';

const T0 = Date.UTC(2026, 0, 1);

export interface IdentityStores {
  identity: IdentityStore;
  oauth: OAuthStore;
}

/** The behaviour every `IdentityStore` and `OAuthStore` backend must have. `fresh` empties them. */
export function identityStoreContract(fresh: () => Promise<IdentityStores>): void {
  async function world() {
    const { identity, oauth } = await fresh();
    const user = await identity.createAccount({
      name: 'ursula',
      kind: 'user',
      email: 'u@x.io',
      passwordHash: 'h',
      nowMs: T0,
    });
    const member = await identity.createAccount({ name: 'mo', kind: 'user', nowMs: T0 });
    const org = await identity.createAccount({ name: 'orga', kind: 'organization', nowMs: T0 });
    const robot = await identity.createAccount({
      name: 'orga+bot',
      kind: 'robot',
      robotOwnerId: org.id,
      tokenHash: 'abc',
      nowMs: T0,
    });
    return { identity, oauth, user, member, org, robot };
  }

  it('keeps account names and e-mails unique', async () => {
    const { identity } = await world();
    await expect(
      identity.createAccount({ name: 'ursula', kind: 'organization', nowMs: T0 }),
    ).rejects.toBeInstanceOf(AccountExistsError);
    await expect(
      identity.createAccount({ name: 'other', kind: 'user', email: 'u@x.io', nowMs: T0 }),
    ).rejects.toBeInstanceOf(AccountExistsError);
    const mo = (await identity.findAccount('mo'))!;
    await expect(identity.updateAccount(mo.id, { email: 'u@x.io' })).rejects.toBeInstanceOf(
      AccountExistsError,
    );
    expect(await identity.countAccounts('user')).toBe(2);
    expect((await identity.listAccounts('user', 'mo', 10)).map((a) => a.name)).toEqual(['ursula']);
  });

  it('keeps console sessions by the hash of their cookie, and ends them one by one or all of an account', async () => {
    const { identity, user, member } = await world();
    const session = (tokenHash: string, accountId: number, createdAtMs: number) => ({
      tokenHash,
      accountId,
      csrfToken: `csrf-${tokenHash}`,
      createdAtMs,
      expiresAtMs: createdAtMs + 1000,
    });
    await identity.createSession(session('a', user.id, T0));
    await identity.createSession(session('b', user.id, T0));
    await identity.createSession(session('c', member.id, T0));
    expect(await identity.findSession('a')).toEqual({
      accountId: user.id,
      csrfToken: 'csrf-a',
      createdAtMs: T0,
      expiresAtMs: T0 + 1000,
    });
    await identity.deleteSession('a');
    expect(await identity.findSession('a')).toBeNull();
    expect(await identity.findSession('b')).not.toBeNull();
    await identity.createSession(session('e', user.id, T0));
    await identity.deleteSessionsOf(user.id, 'e');
    expect(await identity.findSession('b')).toBeNull();
    expect(await identity.findSession('e')).not.toBeNull();
    await identity.deleteSessionsOf(user.id);
    expect(await identity.findSession('e')).toBeNull();
    expect(await identity.findSession('c')).not.toBeNull();
    // A sign-in after 'c' lapsed clears it away.
    await identity.createSession(session('d', member.id, T0 + 5000));
    expect(await identity.findSession('c')).toBeNull();
    await identity.deleteAccount(member.id);
    expect(await identity.findSession('d')).toBeNull();
  });

  it('reads an account by id and a repository by name together, either of them missing', async () => {
    const { identity, user, org } = await world();
    const repository = await identity.createRepository({
      name: 'orga/app',
      namespaceId: org.id,
      visibility: 'private',
      description: 'the app',
      creatorGrant: null,
      nowMs: T0,
    });
    const both = await identity.findAccountAndRepository(user.id, 'orga/app');
    expect(both).toEqual({
      account: await identity.findAccountById(user.id),
      repository: await identity.findRepository('orga/app'),
    });
    expect(both.repository).toEqual(repository);
    expect(await identity.findAccountAndRepository(user.id, 'orga/none')).toEqual({
      account: both.account,
      repository: null,
    });
    expect(await identity.findAccountAndRepository(-1, 'orga/app')).toEqual({
      account: null,
      repository,
    });
  });

  it('keeps the login secrets and when the account was last used', async () => {
    const { identity, user } = await world();
    expect(await identity.loginSecrets(user.id)).toEqual({ passwordHash: 'h', tokenHash: null });
    await identity.recordLogin(user.id, T0 + 3);
    expect((await identity.findAccountById(user.id))!.lastAccessedMs).toBe(T0 + 3);
  });

  it('lets at most the limit of guesses per name and source be checked in a window, even all at once', async () => {
    const { identity } = await world();
    const key = { name: 'ursula', source: '198.51.100.7' };
    const window = 60_000;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => identity.reserveLoginAttempt(key, 5, window, T0)),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    // Refused while the five are being checked: busy, not yet a verdict.
    expect(results.find((r) => !r.allowed)).toEqual({
      allowed: false,
      busy: true,
      retryAfterMs: window,
    });
    // Another source, and a name nobody has, each count on their own.
    const other = { name: 'ursula', source: '203.0.113.9' };
    expect(await identity.reserveLoginAttempt(other, 5, window, T0)).toEqual({ allowed: true });
    const nobody = { name: 'nobody', source: key.source };
    expect(await identity.reserveLoginAttempt(nobody, 5, window, T0)).toEqual({ allowed: true });
    // A right guess frees its slot; wrong ones fill the window.
    await identity.settleLoginAttempt(key, 'right', window, T0 + 10);
    expect(await identity.reserveLoginAttempt(key, 5, window, T0 + 20)).toEqual({ allowed: true });
    for (let i = 0; i < 5; i++) await identity.settleLoginAttempt(key, 'wrong', window, T0 + 30);
    expect(await identity.reserveLoginAttempt(key, 5, window, T0 + 40)).toEqual({
      allowed: false,
      busy: false,
      retryAfterMs: window - 40,
    });
    // The next window starts afresh.
    expect(await identity.reserveLoginAttempt(key, 5, window, T0 + window)).toEqual({
      allowed: true,
    });
  });

  it('derives access facts from direct grants, team grants and team roles', async () => {
    const { identity, user, member, org, robot } = await world();
    const repo = await identity.createRepository({
      name: 'orga/app',
      namespaceId: org.id,
      visibility: 'private',
      description: '',
      creatorGrant: { accountId: user.id, role: 'admin' },
      nowMs: T0,
    });
    expect(await identity.accessFacts(repo, user.id)).toEqual({
      grantedRole: 'admin',
      teamRole: null,
    });
    const team = await identity.upsertTeam(org.id, 'devs', 'creator', 'd');
    await identity.addTeamMember(team.id, member.id);
    await identity.addTeamMember(team.id, robot.id);
    await identity.setPermission(repo.id, { teamId: team.id }, 'write');
    await identity.setPermission(repo.id, { accountId: member.id }, 'read');
    expect(await identity.accessFacts(repo, member.id)).toEqual({
      grantedRole: 'write',
      teamRole: 'creator',
    });
    expect(await identity.findTeam(org.id, 'devs')).toMatchObject({
      memberCount: 2,
      repositoryCount: 1,
      role: 'creator',
    });
    expect(
      (await identity.listPermissions(repo.id, 'account')).map((p) => [p.name, p.role, p.kind]),
    ).toEqual([
      ['mo', 'read', 'user'],
      ['ursula', 'admin', 'user'],
    ]);
    expect(await identity.deletePermission(repo.id, { teamId: team.id })).toBe(true);
    expect(await identity.accessFacts(repo, member.id)).toEqual({
      grantedRole: 'read',
      teamRole: 'creator',
    });
    expect(
      (await identity.organizationsOf(member.id)).map((o) => [o.organization.name, o.role]),
    ).toEqual([['orga', 'creator']]);
  });

  it('applies default permissions to new repositories in the same transaction', async () => {
    const { identity, member, org } = await world();
    await identity.createDefaultPermission('p1', org.id, { accountId: member.id }, 'write');
    const repo = await identity.createRepository({
      name: 'orga/new',
      namespaceId: org.id,
      visibility: 'private',
      description: '',
      creatorGrant: null,
      nowMs: T0,
    });
    expect(await identity.accessFacts(repo, member.id)).toMatchObject({ grantedRole: 'write' });
    expect(
      (await identity.listDefaultPermissions(org.id)).map((p) => [p.id, p.name, p.role]),
    ).toEqual([['p1', 'mo', 'write']]);
    // Creating it again returns the first one unchanged.
    const again = await identity.createRepository({
      name: 'orga/new',
      namespaceId: org.id,
      visibility: 'public',
      description: 'x',
      creatorGrant: null,
      nowMs: T0,
    });
    expect(again).toEqual(repo);
  });

  it('lists repositories a viewer may see, in name order, page by page', async () => {
    const { identity, user, member, org } = await world();
    const make = (name: string, visibility: 'public' | 'private') =>
      identity.createRepository({
        name,
        namespaceId: org.id,
        visibility,
        description: '',
        creatorGrant: null,
        nowMs: T0,
      });
    const hidden = await make('orga/b-hidden', 'private');
    await make('orga/a-open', 'public');
    const shared = await make('orga/c-shared', 'private');
    await identity.setPermission(shared.id, { accountId: member.id }, 'read');
    const names = async (viewerId: number | null, extra = {}) =>
      (await identity.listRepositories({ viewerId, superuser: false, limit: 10, ...extra })).map(
        (r) => r.name,
      );
    expect(await names(null)).toEqual(['orga/a-open']);
    expect(await names(member.id)).toEqual(['orga/a-open', 'orga/c-shared']);
    expect(await names(member.id, { after: 'orga/a-open', limit: 1 })).toEqual(['orga/c-shared']);
    const admins = await identity.upsertTeam(org.id, 'owners', 'admin', '');
    await identity.addTeamMember(admins.id, user.id);
    expect(await names(user.id)).toEqual(['orga/a-open', 'orga/b-hidden', 'orga/c-shared']);
    expect(await names(user.id, { publicOnly: true })).toEqual(['orga/a-open']);
    await identity.updateRepository(hidden.id, {
      visibility: 'public',
      state: 'READ_ONLY',
      description: 'd',
    });
    expect(await identity.findRepository('orga/b-hidden')).toMatchObject({
      visibility: 'public',
      state: 'READ_ONLY',
      description: 'd',
    });
  });

  it('finds app tokens by hash only, and forgets them when revoked', async () => {
    const { identity, user } = await world();
    await identity.createAppToken({
      id: 't1',
      accountId: user.id,
      title: 'cli',
      createdAtMs: T0,
      expiresAtMs: null,
      lastAccessedMs: null,
      tokenHash: 'h1',
    });
    expect(await identity.findAppTokenByHash('h1')).toMatchObject({ id: 't1', title: 'cli' });
    await identity.touchAppToken('t1', T0 + 5);
    expect((await identity.listAppTokens(user.id))[0]!.lastAccessedMs).toBe(T0 + 5);
    expect(await identity.deleteAppToken(user.id, 't1')).toBe(true);
    expect(await identity.findAppTokenByHash('h1')).toBeNull();
  });

  it('keeps the audit log, JSON metadata intact, filtered and paged newest first', async () => {
    const { identity, user, org } = await world();
    const repo = await identity.createRepository({
      name: 'orga/logged',
      namespaceId: org.id,
      visibility: 'private',
      description: '',
      creatorGrant: null,
      nowMs: T0,
    });
    await identity.appendAudit({
      kind: 'create_repo',
      performer: { id: user.id, name: 'ursula' },
      namespace: { id: org.id, name: 'orga' },
      repository: { id: repo.id, name: 'logged' },
      ip: '10.0.0.1',
      metadata: { nested: { ok: true }, n: 1 },
      createdAtMs: T0 + 1,
    });
    await identity.appendAuditForRepositories([
      {
        repositoryName: 'orga/logged',
        kind: 'push_repo',
        performer: null,
        ip: null,
        metadata: { tag: 'v1' },
        createdAtMs: T0 + 2,
      },
      {
        repositoryName: 'orga/logged',
        kind: 'pull_repo',
        performer: { id: user.id, name: 'ursula' },
        ip: null,
        metadata: {},
        createdAtMs: T0 + 3,
      },
      {
        repositoryName: 'orga/missing',
        kind: 'pull_repo',
        performer: null,
        ip: null,
        metadata: {},
        createdAtMs: T0 + 4,
      },
    ]);
    const all = await identity.listAudit({
      repositoryId: repo.id,
      fromMs: T0,
      toMs: T0 + 10,
      limit: 10,
    });
    expect(all.map((e) => e.kind)).toEqual(['pull_repo', 'push_repo', 'create_repo']);
    expect(all[1]).toMatchObject({
      namespace: { id: org.id, name: 'orga' },
      repository: { id: repo.id, name: 'logged' },
      metadata: { tag: 'v1' },
    });
    expect(all[2]!.metadata).toEqual({ nested: { ok: true }, n: 1 });
    const page = await identity.listAudit({
      namespaceId: org.id,
      fromMs: T0,
      toMs: T0 + 10,
      beforeId: all[0]!.id,
      limit: 1,
    });
    expect(page.map((e) => e.kind)).toEqual(['push_repo']);
    expect(
      await identity.listAudit({ performerId: user.id, fromMs: T0 + 2, toMs: T0 + 10, limit: 10 }),
    ).toHaveLength(1);
  });

  it('keeps OAuth applications, single-use codes and tokens', async () => {
    const { oauth, user, org } = await world();
    const app = await oauth.createApplication({
      organizationId: org.id,
      clientId: 'cid',
      clientSecretHash: 's',
      name: 'dash',
      description: '',
      redirectUri: 'https://x/cb',
      applicationUri: '',
      createdAtMs: T0,
    });
    expect(await oauth.findApplication('cid')).toMatchObject({ id: app.id, clientSecretHash: 's' });
    await oauth.createAuthorizationCode({
      codeHash: 'c1',
      applicationId: app.id,
      accountId: user.id,
      scope: 'repo:read',
      redirectUri: 'https://x/cb',
      expiresAtMs: T0 + 60,
    });
    expect(await oauth.takeAuthorizationCode('c1')).toMatchObject({
      accountId: user.id,
      scope: 'repo:read',
    });
    expect(await oauth.takeAuthorizationCode('c1')).toBeNull();
    await oauth.createAccessToken({
      id: 'a1',
      tokenHash: 't1',
      applicationId: app.id,
      accountId: user.id,
      scope: 'user:read',
      createdAtMs: T0,
      expiresAtMs: T0 + 60,
    });
    expect(await oauth.findAccessToken('t1')).toEqual({
      applicationId: app.id,
      accountId: user.id,
      scope: 'user:read',
      expiresAtMs: T0 + 60,
    });
    expect(await oauth.deleteApplication('cid')).toBe(true);
    expect(await oauth.findAccessToken('t1')).toBeNull();
  });
}
