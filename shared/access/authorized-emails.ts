import { randomBytes } from 'node:crypto';
import { accessError } from '../errors/access-error.js';
import type { AuthorizedEmail } from '../ports/authorized-email-store.js';
import { escapeHtml } from '../notifications/events.js';
import type { AccessServices, AdminDeps } from './access-services.js';
import type { Principal } from './principal.js';
import { RepositoryAdminService } from './repository-admin.js';

export interface AuthorizedEmailView extends AuthorizedEmail {
  repository: string;
}

/**
 * Quay's authorized e-mail addresses: before a repository's notifications
 * may write to an address, its owner confirms it by following the link
 * mailed to it. Administered by the repository's administrators.
 */
export class AuthorizedEmailService {
  constructor(
    private readonly s: AccessServices,
    private readonly admin: AdminDeps,
  ) {}

  async get(actor: Principal, repository: string, email: string): Promise<AuthorizedEmailView> {
    const view = await new RepositoryAdminService(this.s).requireAdmin(actor, repository);
    const found = await this.admin.authorizedEmails.find(view.repository.id, email);
    if (!found) throw accessError('not_found', `${email} is not authorized for ${repository}`);
    return { ...found, repository: view.repository.name };
  }

  /**
   * Mails a confirmation link to the address (again, with a new code, if
   * it was asked before); `confirmUrl` makes the link from the code.
   */
  async request(
    actor: Principal,
    repository: string,
    email: string,
    confirmUrl: (code: string) => string,
  ): Promise<AuthorizedEmailView> {
    const view = await new RepositoryAdminService(this.s).requireAdmin(actor, repository);
    const mailer = this.admin.mailer;
    if (!mailer) {
      throw accessError('invalid_request', 'e-mail is not set up on this registry (MAIL_SERVER)');
    }
    if (!/^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/.test(email)) {
      throw accessError('invalid_request', `${email} is not an e-mail address`);
    }
    const code = randomBytes(24).toString('base64url');
    const stored = await this.admin.authorizedEmails.request(
      view.repository.id,
      email,
      code,
      this.s.deps.clock.now(),
    );
    if (!stored.confirmed) {
      const link = confirmUrl(code);
      const name = view.repository.name;
      await mailer
        .send({
          to: email,
          subject: `Confirm notifications for ${name}`,
          html: `<p>An administrator of <b>${escapeHtml(name)}</b> asked to send its notifications to this address.</p><p><a href="${escapeHtml(link)}">Confirm ${escapeHtml(email)}</a></p><p>If you did not expect this, ignore it.</p>`,
          text: `An administrator of ${name} asked to send its notifications to this address.\n\nConfirm: ${link}\n\nIf you did not expect this, ignore it.\n`,
        })
        .catch((error: unknown) => {
          throw accessError(
            'invalid_request',
            `could not send the confirmation e-mail: ${(error as Error).message}`,
          );
        });
    }
    return { ...stored, repository: view.repository.name };
  }

  /** Follows a mailed link: anyone holding the code may confirm its address. */
  async confirm(code: string): Promise<AuthorizedEmailView> {
    const confirmed = await this.admin.authorizedEmails.confirm(code);
    if (!confirmed) throw accessError('not_found', 'this confirmation link is not valid');
    return { ...confirmed, repository: confirmed.repositoryName };
  }
}
