import { accessError } from '../errors/access-error.js';
import type { OAuthApplicationRecord } from '../ports/oauth-store.js';
import type { AccessServices } from './access-services.js';
import { OAUTH_SCOPES, type OAuthScope, type Principal } from './principal.js';
import { hashToken, randomToken, tokenMatches } from './secrets.js';
import { requireUser } from './users.js';

/** How long an OAuth access token lives. */
export const OAUTH_TOKEN_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;
const CODE_LIFETIME_MS = 10 * 60 * 1000;

/** An OAuth 2 error (RFC 6749 §5.2), answered as `{error, error_description}`. */
export class OAuthError extends Error {
  constructor(
    readonly error:
      | 'invalid_request'
      | 'invalid_client'
      | 'invalid_grant'
      | 'unsupported_grant_type'
      | 'unsupported_response_type'
      | 'invalid_scope',
    message: string,
  ) {
    super(message);
    this.name = 'OAuthError';
  }
}

export function parseOAuthScopes(scope: string): OAuthScope[] {
  const asked = [...new Set(scope.split(/[\s,]+/).filter(Boolean))];
  if (asked.length === 0) throw new OAuthError('invalid_scope', 'no scope requested');
  for (const s of asked) {
    if (!(OAUTH_SCOPES as readonly string[]).includes(s)) {
      throw new OAuthError('invalid_scope', `unknown scope ${s}`);
    }
  }
  return asked as OAuthScope[];
}

/**
 * OAuth 2 for the REST API, as Quay does it: organizations register
 * applications; a user grants one a token with chosen scopes, by the
 * authorization-code or the implicit flow. The user authenticates to
 * `/oauth/authorize` with Basic credentials (there is no login page).
 */
export class OAuthService {
  constructor(private readonly s: AccessServices) {}

  private async organizationAdmin(actor: Principal, orgName: string) {
    const organization = await this.s.deps.store.findAccount(orgName);
    if (!organization || organization.kind !== 'organization') {
      throw accessError('not_found', `no organization ${orgName}`);
    }
    if (!(await this.s.rules.isOrganizationAdmin(actor, organization))) {
      throw accessError('forbidden', `you are not an administrator of ${orgName}`);
    }
    return organization;
  }

  async createApplication(
    actor: Principal,
    orgName: string,
    input: { name: string; redirectUri: string; applicationUri: string; description: string },
  ): Promise<{ application: OAuthApplicationRecord; clientSecret: string }> {
    const organization = await this.organizationAdmin(actor, orgName);
    assertRedirectUri(input.redirectUri);
    const clientSecret = randomToken(40);
    const application = await this.s.deps.oauth.createApplication({
      organizationId: organization.id,
      clientId: randomToken(20),
      name: input.name,
      description: input.description,
      redirectUri: input.redirectUri,
      applicationUri: input.applicationUri,
      createdAtMs: this.s.deps.clock.now(),
      clientSecretHash: hashToken(clientSecret),
    });
    await this.s.audit.record(
      'create_application',
      actor,
      { namespace: organization },
      {
        application_name: input.name,
        client_id: application.clientId,
      },
    );
    return { application, clientSecret };
  }

  async listApplications(actor: Principal, orgName: string) {
    const organization = await this.organizationAdmin(actor, orgName);
    return this.s.deps.oauth.listApplications(organization.id);
  }

  /** What a consent page shows anyone about an application: its name, purpose and owner. */
  async publicInformation(clientId: string) {
    const application = await this.s.deps.oauth.findApplication(clientId);
    const organization = application
      ? await this.s.deps.store.findAccountById(application.organizationId)
      : null;
    if (!application || !organization) throw accessError('not_found', `no application ${clientId}`);
    return { application, organization };
  }

  async getApplication(actor: Principal, orgName: string, clientId: string) {
    const organization = await this.organizationAdmin(actor, orgName);
    const application = await this.s.deps.oauth.findApplication(clientId);
    if (!application || application.organizationId !== organization.id) {
      throw accessError('not_found', `no application ${clientId}`);
    }
    return { organization, application };
  }

  async deleteApplication(actor: Principal, orgName: string, clientId: string) {
    const { organization, application } = await this.getApplication(actor, orgName, clientId);
    await this.s.deps.oauth.deleteApplication(clientId);
    await this.s.audit.record(
      'delete_application',
      actor,
      { namespace: organization },
      {
        application_name: application.name,
        client_id: clientId,
      },
    );
  }

  async resetClientSecret(actor: Principal, orgName: string, clientId: string) {
    const { organization, application } = await this.getApplication(actor, orgName, clientId);
    const clientSecret = randomToken(40);
    await this.s.deps.oauth.updateApplication(clientId, {
      clientSecretHash: hashToken(clientSecret),
    });
    await this.s.audit.record(
      'reset_application_client_secret',
      actor,
      { namespace: organization },
      {
        client_id: clientId,
      },
    );
    return { application, clientSecret };
  }

  /**
   * The user grants the application a token (implicit flow) or a one-time
   * code (authorization-code flow); returns where to send the browser.
   */
  async authorize(
    actor: Principal,
    request: {
      responseType: string;
      clientId: string;
      redirectUri: string | undefined;
      scope: string;
      state: string | undefined;
    },
  ): Promise<string> {
    const application = await this.s.deps.oauth.findApplication(request.clientId);
    if (!application) throw new OAuthError('invalid_client', 'unknown client_id');
    // Never send a token or code anywhere but where the application registered.
    if (request.redirectUri !== undefined && request.redirectUri !== application.redirectUri) {
      throw new OAuthError('invalid_request', 'redirect_uri does not match the application');
    }
    if (request.responseType !== 'token' && request.responseType !== 'code') {
      throw new OAuthError('unsupported_response_type', 'response_type must be code or token');
    }
    const scopes = parseOAuthScopes(request.scope);
    // Only a user, and not through another OAuth token, may grant one.
    const user = requireUser(actor);
    if (user.scopes !== undefined)
      throw accessError('forbidden', 'an OAuth token cannot grant tokens');
    const now = this.s.deps.clock.now();
    const grant = {
      applicationId: application.id,
      accountId: user.account.id,
      scope: scopes.join(' '),
    };
    const target = new URL(application.redirectUri);
    if (request.responseType === 'code') {
      const code = randomToken(40);
      await this.s.deps.oauth.createAuthorizationCode({
        ...grant,
        codeHash: hashToken(code),
        redirectUri: application.redirectUri,
        expiresAtMs: now + CODE_LIFETIME_MS,
      });
      target.searchParams.set('code', code);
      if (request.state !== undefined) target.searchParams.set('state', request.state);
      return target.toString();
    }
    const token = await this.issue(grant, now);
    const fragment = new URLSearchParams({
      access_token: token,
      token_type: 'Bearer',
      expires_in: String(OAUTH_TOKEN_LIFETIME_MS / 1000),
      scope: grant.scope,
      ...(request.state === undefined ? {} : { state: request.state }),
    });
    target.hash = fragment.toString();
    return target.toString();
  }

  /** The authorization-code grant: the application trades its code for a token. */
  async exchangeCode(request: {
    grantType: string;
    code: string;
    clientId: string;
    clientSecret: string;
    redirectUri: string | undefined;
  }) {
    if (request.grantType !== 'authorization_code') {
      throw new OAuthError('unsupported_grant_type', 'only authorization_code is supported');
    }
    const application = await this.s.deps.oauth.findApplication(request.clientId);
    if (!application || !tokenMatches(request.clientSecret, application.clientSecretHash)) {
      throw new OAuthError('invalid_client', 'unknown client or wrong secret');
    }
    const code = await this.s.deps.oauth.takeAuthorizationCode(hashToken(request.code));
    const now = this.s.deps.clock.now();
    if (
      !code ||
      code.applicationId !== application.id ||
      code.expiresAtMs <= now ||
      (request.redirectUri !== undefined && request.redirectUri !== code.redirectUri)
    ) {
      throw new OAuthError('invalid_grant', 'the code is unknown, used, expired or not yours');
    }
    const token = await this.issue(code, now);
    return {
      access_token: token,
      token_type: 'Bearer' as const,
      expires_in: OAUTH_TOKEN_LIFETIME_MS / 1000,
      scope: code.scope,
    };
  }

  private async issue(
    grant: { applicationId: number; accountId: number; scope: string },
    now: number,
  ): Promise<string> {
    const token = randomToken(40);
    await this.s.deps.oauth.createAccessToken({
      ...grant,
      id: this.s.deps.newId(),
      tokenHash: hashToken(token),
      createdAtMs: now,
      expiresAtMs: now + OAUTH_TOKEN_LIFETIME_MS,
    });
    return token;
  }
}

function assertRedirectUri(uri: string): void {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw accessError('invalid_request', `invalid redirect_uri ${uri}`);
  }
  if (parsed.hash) throw accessError('invalid_request', 'redirect_uri may not have a fragment');
}
