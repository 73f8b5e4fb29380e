import type { FailedCopy, LocationReplication } from '../ports/replication-store.js';
import type { AccessServices, AdminDeps } from './access-services.js';
import type { Principal } from './principal.js';
import { requireSuperuser } from './users.js';

export interface ReplicationOverview {
  enabled: boolean;
  locations: (LocationReplication & { healthy: boolean })[];
}

/** Geo-replication as superusers see and steer it: per-location backlog, lag, failures. */
export class ReplicationAdminService {
  constructor(
    private readonly s: AccessServices,
    private readonly admin: AdminDeps,
    /** Whether a location is healthy, probed if its state is not recent. */
    private readonly health: (location: string) => Promise<boolean>,
  ) {}

  private get targets(): string[] {
    return this.s.deps.options.replicateTo ?? [];
  }

  async overview(actor: Principal): Promise<ReplicationOverview> {
    requireSuperuser(actor);
    const locations = await this.admin.replication.status(this.targets);
    return {
      enabled: this.targets.length > 0,
      locations: await Promise.all(
        locations.map(async (l) => ({ ...l, healthy: await this.health(l.location) })),
      ),
    };
  }

  async failures(
    actor: Principal,
    location: string | undefined,
    limit: number,
  ): Promise<FailedCopy[]> {
    requireSuperuser(actor);
    return this.admin.replication.failures(limit, location);
  }

  /** Queues failed copies again; the worker takes them at its next run. */
  async retry(actor: Principal, location: string | undefined): Promise<number> {
    requireSuperuser(actor);
    return this.admin.replication.retryFailed(this.s.deps.clock.now(), location);
  }
}
