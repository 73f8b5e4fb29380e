import { accessError } from '../errors/access-error.js';

/** Quay's grammar for user and organization names; `+` is kept for robots. */
const NAMESPACE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const ROBOT_SHORT_NAME = /^[a-z][a-z0-9_]{1,254}$/;
const TEAM = /^[a-z][a-z0-9_]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function check(ok: boolean, message: string): void {
  if (!ok) throw accessError('invalid_request', message);
}

export function assertNamespaceName(name: string): void {
  check(
    name.length >= 2 && name.length <= 255 && NAMESPACE.test(name),
    `invalid name ${JSON.stringify(name)}: use 2-255 lowercase letters, digits and single . _ - between them`,
  );
}

export function assertRobotShortName(name: string): void {
  check(
    ROBOT_SHORT_NAME.test(name),
    `invalid robot name ${JSON.stringify(name)}: start with a letter, then lowercase letters, digits or _`,
  );
}

export function assertTeamName(name: string): void {
  check(
    TEAM.test(name) && name.length <= 255,
    `invalid team name ${JSON.stringify(name)}: start with a letter, then lowercase letters, digits or _`,
  );
}

export function assertEmail(email: string): void {
  check(
    EMAIL.test(email) && email.length <= 255,
    `invalid e-mail address ${JSON.stringify(email)}`,
  );
}

export function assertPassword(password: string): void {
  check(password.length >= 8 && password.length <= 1024, 'passwords are 8 to 1024 characters');
}

export const robotName = (owner: string, shortName: string) => `${owner}+${shortName}`;
