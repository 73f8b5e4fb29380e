import { parseDuration } from './durations.js';

/**
 * Auto-prune policies as Quay writes them: keep the newest `value` tags, or
 * drop tags created more than `value` (a duration such as `2w`) ago. With a
 * `tagPattern`, only tags that match it (or, with `tagPatternMatches:
 * false`, only those that do not) are ever pruned, and only they are
 * counted against `number_of_tags`.
 */
export type PrunePolicy =
  | {
      method: 'number_of_tags';
      value: number;
      tagPattern?: string;
      tagPatternMatches?: boolean;
    }
  | {
      method: 'creation_date';
      value: string;
      tagPattern?: string;
      tagPatternMatches?: boolean;
    };

export interface PrunableTag {
  id: number;
  name: string;
  startMs: number;
}

export const MAX_TAG_PATTERN_LENGTH = 256;

/** Why a policy is unusable, or null when it is fine. */
export function policyProblem(policy: PrunePolicy): string | null {
  if (policy.method === 'number_of_tags') {
    if (!Number.isInteger(policy.value) || policy.value < 1) {
      return 'value for number_of_tags must be a positive whole number';
    }
  } else if (parseDuration(policy.value) === null) {
    return 'value for creation_date must be a duration such as 30s, 12h, 7d or 2w';
  }
  return policy.tagPattern === undefined ? null : tagPatternProblem(policy.tagPattern);
}

/** Why a policy's `tagPattern` (auto-prune, immutability) is unusable, or null when it is fine. */
export function tagPatternProblem(pattern: string): string | null {
  if (pattern.length === 0 || pattern.length > MAX_TAG_PATTERN_LENGTH) {
    return `tagPattern must be 1 to ${MAX_TAG_PATTERN_LENGTH} characters`;
  }
  try {
    new RegExp(pattern);
  } catch {
    return 'tagPattern is not a valid regular expression';
  }
  return null;
}

function inScope(policy: PrunePolicy): (tag: PrunableTag) => boolean {
  if (policy.tagPattern === undefined) return () => true;
  const pattern = new RegExp(policy.tagPattern);
  const wanted = policy.tagPatternMatches ?? true;
  return (tag) => pattern.test(tag.name) === wanted;
}

/** The tags `policy` prunes from `tags` (a repository's live tags) at `nowMs`. */
export function tagsToPrune(
  policy: PrunePolicy,
  tags: PrunableTag[],
  nowMs: number,
): PrunableTag[] {
  const candidates = tags.filter(inScope(policy));
  if (policy.method === 'number_of_tags') {
    const newestFirst = [...candidates].sort((a, b) => b.startMs - a.startMs || b.id - a.id);
    return newestFirst.slice(policy.value);
  }
  const cutoff = nowMs - parseDuration(policy.value)!;
  return candidates.filter((t) => t.startMs < cutoff);
}
