import { accessError } from '../errors/access-error.js';
import type { AccountRecord, IdentityStore, RepositoryInfo } from '../ports/identity-store.js';
import type { QuotaStore } from '../ports/quota-store.js';
import { quotaDenied } from '../registry/quota-policy.js';
import { paginate, type PageOf, type PageRequest } from '../registry/paging.js';
import type { AuditKind, AuditLog } from './audit.js';
import { parseBasic, parseBearer, type Authenticator } from './authenticator.js';
import { ANONYMOUS, type OAuthScope, type Principal } from './principal.js';
import type { RegistryTokens, VerifiedToken } from './registry-tokens.js';
import { writeRefusal, type RepositoryAccess } from './repository-access.js';
import { intersect, parseScopes, scopeString, type AccessGrant } from './scopes.js';

/**
 * Someone calling `/v2`. With a token, reads are decided from its claims
 * alone, so the account is loaded only when a decision needs it.
 */
export interface Caller {
  token: VerifiedToken | null;
  /** Who they are, for the audit log, without a database read. */
  performer: { id: number; name: string } | null;
  ip: string | null;
  principal(): Promise<Principal>;
  /**
   * The principal, and the repository `name` as it stands: in one database
   * read where the principal is still to load (a token's account).
   */
  principalAndRepository(name: string): Promise<PrincipalAndRepository>;
}

export interface PrincipalAndRepository {
  principal: Principal;
  repository: RepositoryInfo | null;
}

type FindRepository = (name: string) => Promise<RepositoryInfo | null>;

/** Whether the caller is nobody in particular: no credentials, or an anonymous token. */
export const isAnonymous = (caller: Caller): boolean => caller.performer === null;

function knownCaller(
  principal: Principal,
  token: VerifiedToken | null,
  ip: string | null,
  findRepository: FindRepository,
): Caller {
  const performer =
    principal.kind === 'anonymous'
      ? null
      : { id: principal.account.id, name: principal.account.name };
  return {
    token,
    performer,
    ip,
    principal: async () => principal,
    principalAndRepository: async (name) => ({
      principal,
      repository: await findRepository(name),
    }),
  };
}

export function anonymousCaller(ip: string | null, findRepository: FindRepository): Caller {
  return knownCaller(ANONYMOUS, null, ip, findRepository);
}

export type RegistryOperation = 'pull' | 'push' | 'delete';

export interface AuthorizeOptions {
  /**
   * Whether a push may create the repository (default true). Not for the
   * continuation of an upload: its session belongs to the repository it
   * began in, so if that one was deleted meanwhile, a new one of the same
   * name could only stand empty after the request fails.
   */
  createRepository?: boolean;
}

export interface TokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

/** Who may do what on `/v2`. */
export interface RegistryAccess {
  /** False for an open registry, where anyone may do anything. */
  readonly enforcing: boolean;
  /** The `service` of this registry's tokens; null when it issues none. */
  readonly service: string | null;
  identify(authorization: string | undefined, ip: string | null): Promise<Caller>;
  /**
   * Returns if the caller may; throws an `AccessError` otherwise. A push to
   * a repository that does not exist yet creates it, private, when the
   * caller may create repositories in its namespace. Answers the repository
   * as the check just read it, so the request need not read it again; null
   * when the check read none (a token is enough to pull, or it is new).
   */
  authorize(
    caller: Caller,
    name: string,
    operation: RegistryOperation,
    options?: AuthorizeOptions,
  ): Promise<RepositoryInfo | null>;
  catalog(caller: Caller, page: PageRequest): Promise<PageOf<string>>;
  /** `ip`: the client's address, against which password guesses are counted. */
  issueToken(
    authorization: string | undefined,
    request: { service?: string | undefined; scopes: string[] },
    ip?: string | null,
  ): Promise<TokenResponse>;
  record(
    caller: Caller,
    kind: AuditKind,
    name: string,
    metadata: Record<string, unknown>,
  ): Promise<void>;
}

/** Tokens may carry either spelling for deletes; clients differ. */
const TOKEN_ACTIONS: Record<RegistryOperation, string[]> = {
  pull: ['pull', '*'],
  push: ['push', '*'],
  delete: ['delete', 'push', '*'],
};

export interface AccountRegistryAccessDeps {
  store: IdentityStore;
  rules: RepositoryAccess;
  authenticator: Authenticator;
  tokens: RegistryTokens;
  audit: AuditLog;
  quota: Pick<QuotaStore, 'uploadRejection'>;
  clock: { now(): number };
}

export class AccountRegistryAccess implements RegistryAccess {
  readonly enforcing = true;

  constructor(private readonly deps: AccountRegistryAccessDeps) {}

  get service(): string {
    return this.deps.tokens.service;
  }

  async identify(authorization: string | undefined, ip: string | null): Promise<Caller> {
    const findRepository: FindRepository = (name) => this.deps.store.findRepository(name);
    const bearer = parseBearer(authorization);
    if (bearer) {
      const token = await this.deps.tokens.verify(bearer);
      const accountId = token.accountId;
      if (accountId === null) return knownCaller(ANONYMOUS, token, ip, findRepository);
      let loaded: Promise<Principal> | undefined;
      const principalOf = (account: AccountRecord | null): Principal => {
        // The account went away after the token was issued.
        if (!account)
          throw accessError('unauthorized', 'invalid token', { challengeError: 'invalid_token' });
        const principal = this.deps.authenticator.principalFor(account);
        // A token obtained with an OAuth token keeps that token's limits.
        if (token.scopes === undefined || principal.kind === 'anonymous') return principal;
        return { ...principal, scopes: new Set(token.scopes as OAuthScope[]) };
      };
      const principal = () =>
        (loaded ??= this.deps.store.findAccountById(accountId).then(principalOf));
      return {
        token,
        performer: { id: accountId, name: token.subject },
        ip,
        principal,
        principalAndRepository: async (name) => {
          if (loaded) return { principal: await loaded, repository: await findRepository(name) };
          const both = this.deps.store.findAccountAndRepository(accountId, name);
          loaded = both.then(({ account }) => principalOf(account));
          return { principal: await loaded, repository: (await both).repository };
        },
      };
    }
    const basic = parseBasic(authorization);
    if (basic) {
      const principal = await this.deps.authenticator.login(basic.username, basic.password, ip);
      return knownCaller(principal, null, ip, findRepository);
    }
    if (authorization) throw accessError('unauthorized', 'unsupported authorization scheme');
    return anonymousCaller(ip, findRepository);
  }

  async authorize(
    caller: Caller,
    name: string,
    operation: RegistryOperation,
    { createRepository = true }: AuthorizeOptions = {},
  ): Promise<RepositoryInfo | null> {
    const tokenGrant = caller.token?.access.find((g) => g.type === 'repository' && g.name === name);
    const tokenAllows =
      caller.token === null ||
      (tokenGrant?.actions.some((a) => TOKEN_ACTIONS[operation].includes(a)) ?? false);
    // Reads trust the token; writes also check the rules as they stand now,
    // so a revoked grant or a repository made read-only takes effect at once.
    if (tokenAllows && caller.token && operation === 'pull') return null;
    const { principal, repository } = await caller.principalAndRepository(name);
    const actions = await this.deps.rules.actionsOnFound(principal, name, repository);
    // A token without the scope sends the client back for a better one, if there is one to get.
    if (!tokenAllows && actions.has(operation)) throw this.challenge(caller, name, operation);
    if (actions.has(operation)) {
      if (operation === 'push' && !repository && createRepository) {
        await this.createOnPush(caller, name);
      }
      return repository;
    }
    if (!isAnonymous(caller) && operation !== 'pull' && actions.has('pull')) {
      throw accessError('forbidden', writeRefusal(repository?.state));
    }
    throw this.challenge(caller, name, operation);
  }

  /** `401` with the scope to ask for: the same whether the repository is private or missing. */
  private challenge(caller: Caller, name: string, operation: RegistryOperation) {
    return accessError('unauthorized', 'authentication required', {
      scope: scopeString(name, operation === 'pull' ? ['pull'] : ['pull', 'push']),
      ...(isAnonymous(caller) && !caller.token
        ? {}
        : { challengeError: 'insufficient_scope' as const }),
    });
  }

  private async createOnPush(caller: Caller, name: string): Promise<void> {
    const namespace = await this.deps.rules.namespaceFor(name);
    const principal = await caller.principal();
    if (!namespace || principal.kind === 'anonymous') {
      throw accessError('unauthorized', 'authentication required', {
        scope: scopeString(name, ['pull', 'push']),
      });
    }
    // A push the namespace's quota refuses must not leave an empty repository behind.
    const full = await this.deps.quota.uploadRejection(namespace.id);
    if (full) throw quotaDenied(full);
    const ownNamespace = principal.kind === 'user' && principal.account.id === namespace.id;
    const repository = await this.deps.store.createRepository({
      name,
      namespaceId: namespace.id,
      visibility: 'private',
      description: '',
      // The creator administers what they create, unless it is theirs anyway.
      creatorGrant: ownNamespace ? null : { accountId: principal.account.id, role: 'admin' },
      nowMs: this.deps.clock.now(),
    });
    await this.deps.audit.record(
      'create_repo',
      principal,
      { namespace, repository },
      {},
      caller.ip,
    );
  }

  async catalog(caller: Caller, page: PageRequest): Promise<PageOf<string>> {
    const viewer = this.deps.rules.listingViewer(await caller.principal());
    return paginate(page, async (limit, after) => {
      const rows = await this.deps.store.listRepositories({
        ...viewer,
        limit,
        ...(after === undefined ? {} : { after }),
      });
      return rows.map((r) => r.name);
    });
  }

  async issueToken(
    authorization: string | undefined,
    request: { service?: string | undefined; scopes: string[] },
    ip: string | null = null,
  ): Promise<TokenResponse> {
    if (request.service && request.service !== this.deps.tokens.service) {
      throw accessError('invalid_request', `unknown service ${request.service}`);
    }
    if (parseBearer(authorization)) {
      throw accessError('unauthorized', 'use Basic credentials to obtain a token');
    }
    const caller = await this.identify(authorization, ip);
    const principal = await caller.principal();
    const granted: AccessGrant[] = [];
    for (const asked of parseScopes(request.scopes)) {
      if (asked.type === 'registry') {
        // The catalog filters by the caller's rights itself.
        if (asked.actions.length > 0) granted.push(asked);
        continue;
      }
      const { actions } = await this.deps.rules.actionsOnName(principal, asked.name);
      const allowed = intersect(asked.actions, actions);
      granted.push({ ...asked, actions: allowed });
    }
    const subject = principal.kind === 'anonymous' ? null : principal.account;
    const scopes = principal.kind === 'anonymous' ? undefined : principal.scopes;
    const issued = await this.deps.tokens.issue(subject, granted, scopes && [...scopes]);
    return {
      token: issued.token,
      access_token: issued.token,
      expires_in: issued.expiresIn,
      issued_at: issued.issuedAt,
    };
  }

  async record(caller: Caller, kind: AuditKind, name: string, metadata: Record<string, unknown>) {
    await this.deps.audit.recordByName(kind, caller.performer, name, metadata, caller.ip);
  }
}
