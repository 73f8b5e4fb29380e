/**
 * E-mail addresses a repository's notifications may write to (Quay's
 * authorized e-mails): an address is confirmed by its owner following the
 * code mailed to it, so a repository administrator cannot mail strangers.
 */
export interface AuthorizedEmail {
  repositoryId: number;
  email: string;
  confirmed: boolean;
}

export interface AuthorizedEmailStore {
  find(repositoryId: number, email: string): Promise<AuthorizedEmail | null>;
  /** Records (or re-issues) the address with a new code; a confirmed address stays confirmed. */
  request(
    repositoryId: number,
    email: string,
    code: string,
    nowMs: number,
  ): Promise<AuthorizedEmail>;
  /** Confirms the address the code was mailed to; null for an unknown code. */
  confirm(code: string): Promise<(AuthorizedEmail & { repositoryName: string }) | null>;
}
