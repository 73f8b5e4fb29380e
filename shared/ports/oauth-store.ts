/** OAuth 2 applications, access tokens and authorization codes; secrets only as hashes. */

export interface OAuthApplicationRecord {
  id: number;
  organizationId: number;
  clientId: string;
  name: string;
  description: string;
  redirectUri: string;
  applicationUri: string;
  createdAtMs: number;
}

export interface OAuthGrant {
  applicationId: number;
  accountId: number;
  /** Space-separated scopes. */
  scope: string;
  expiresAtMs: number;
}

export interface OAuthStore {
  createApplication(
    app: Omit<OAuthApplicationRecord, 'id'> & { clientSecretHash: string },
  ): Promise<OAuthApplicationRecord>;
  findApplication(
    clientId: string,
  ): Promise<(OAuthApplicationRecord & { clientSecretHash: string }) | null>;
  listApplications(organizationId: number): Promise<OAuthApplicationRecord[]>;
  updateApplication(
    clientId: string,
    changes: {
      clientSecretHash?: string;
      name?: string;
      description?: string;
      redirectUri?: string;
      applicationUri?: string;
    },
  ): Promise<void>;
  deleteApplication(clientId: string): Promise<boolean>;

  createAccessToken(
    token: OAuthGrant & { id: string; tokenHash: string; createdAtMs: number },
  ): Promise<void>;
  findAccessToken(tokenHash: string): Promise<OAuthGrant | null>;

  createAuthorizationCode(
    code: OAuthGrant & { codeHash: string; redirectUri: string },
  ): Promise<void>;
  /** Returns the code's grant and deletes it: a code works once. */
  takeAuthorizationCode(codeHash: string): Promise<(OAuthGrant & { redirectUri: string }) | null>;
}
