/** Quay's durations: a number and a unit, `30s`, `12h`, `2w`. */
const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

export const DURATION = /^(\d+)([smhdw])$/;

/** Milliseconds, or null for a string that is not a duration. */
export function parseDuration(value: string): number | null {
  const match = DURATION.exec(value.trim());
  return match ? Number(match[1]) * UNIT_MS[match[2]!]! : null;
}
