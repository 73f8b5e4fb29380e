import { accessError } from '../errors/access-error.js';
import { AccountExistsError, type AccountRecord } from '../ports/identity-store.js';
import type { AccessServices } from './access-services.js';
import { assertRobotShortName, robotName } from './names.js';
import type { Principal } from './principal.js';
import { hashToken, randomToken } from './secrets.js';
import { requireNamespace } from './users.js';

/**
 * Robot accounts (`<namespace>+<name>`) of users and organizations. Only a
 * hash of the token is stored, so the token is shown when the robot is
 * created or its token regenerated, and never again.
 */
export class RobotService {
  constructor(private readonly s: AccessServices) {}

  /** The namespace's owner (a user for their own robots, an admin for an organization's). */
  async requireOwner(actor: Principal, namespaceName: string): Promise<AccountRecord> {
    const namespace = await requireNamespace(this.s, namespaceName);
    if (!(await this.s.rules.isOrganizationAdmin(actor, namespace))) {
      throw accessError('forbidden', `you cannot manage robots of ${namespaceName}`);
    }
    return namespace;
  }

  async create(actor: Principal, namespaceName: string, shortName: string, description: string) {
    const namespace = await this.requireOwner(actor, namespaceName);
    assertRobotShortName(shortName);
    const token = randomToken();
    try {
      const robot = await this.s.deps.store.createAccount({
        name: robotName(namespace.name, shortName),
        kind: 'robot',
        tokenHash: hashToken(token),
        robotOwnerId: namespace.id,
        description,
        nowMs: this.s.deps.clock.now(),
      });
      await this.s.audit.record('create_robot', actor, { namespace }, { robot: robot.name });
      return { robot, token };
    } catch (error) {
      if (error instanceof AccountExistsError) {
        throw accessError(
          'conflict',
          `robot ${robotName(namespace.name, shortName)} already exists`,
        );
      }
      throw error;
    }
  }

  async list(actor: Principal, namespaceName: string) {
    const namespace = await this.requireOwner(actor, namespaceName);
    return this.s.deps.store.listRobots(namespace.id);
  }

  async get(actor: Principal, namespaceName: string, shortName: string) {
    const namespace = await this.requireOwner(actor, namespaceName);
    const robot = await this.s.deps.store.findAccount(robotName(namespace.name, shortName));
    if (!robot || robot.kind !== 'robot' || robot.robotOwnerId !== namespace.id) {
      throw accessError('not_found', `no robot ${robotName(namespace.name, shortName)}`);
    }
    return { namespace, robot };
  }

  /** The repositories a robot has a role on. */
  async permissions(actor: Principal, namespaceName: string, shortName: string) {
    const { robot } = await this.get(actor, namespaceName, shortName);
    return this.s.deps.store.accountPermissions(robot.id);
  }

  async delete(actor: Principal, namespaceName: string, shortName: string) {
    const { namespace, robot } = await this.get(actor, namespaceName, shortName);
    await this.s.deps.store.deleteAccount(robot.id);
    await this.s.audit.record('delete_robot', actor, { namespace }, { robot: robot.name });
  }

  async regenerate(actor: Principal, namespaceName: string, shortName: string) {
    const { namespace, robot } = await this.get(actor, namespaceName, shortName);
    const token = randomToken();
    await this.s.deps.store.updateAccount(robot.id, { tokenHash: hashToken(token) });
    await this.s.audit.record(
      'regenerate_robot_token',
      actor,
      { namespace },
      { robot: robot.name },
    );
    return { robot, token };
  }
}
