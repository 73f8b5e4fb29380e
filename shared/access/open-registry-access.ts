import { accessError } from '../errors/access-error.js';
import type { PageOf, PageRequest } from '../registry/paging.js';
import type { ListingService } from '../registry/listings.js';
import {
  anonymousCaller,
  type Caller,
  type RegistryAccess,
  type TokenResponse,
} from './registry-access.js';

/**
 * An open registry: anyone may pull and push anything, as CNCF distribution
 * without auth. Only for a registry on a trusted machine or network
 * (`BERTH_ACCESS_CONTROL=false`); the default is account-based access.
 */
export class OpenRegistryAccess implements RegistryAccess {
  readonly enforcing = false;
  readonly service = null;

  constructor(private readonly listings: ListingService) {}

  async identify(_authorization: string | undefined, ip: string | null): Promise<Caller> {
    // Nothing here asks for a repository: an open registry authorizes everything.
    return anonymousCaller(ip, async () => null);
  }

  async authorize(): Promise<null> {
    return null;
  }

  catalog(_caller: Caller, page: PageRequest): Promise<PageOf<string>> {
    return this.listings.catalog(page);
  }

  async issueToken(): Promise<TokenResponse> {
    throw accessError('not_found', 'this registry is open and issues no tokens');
  }

  async record(): Promise<void> {}
}
