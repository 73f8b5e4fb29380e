/**
 * The mirror's tag filter: shell-style globs as Quay's `tag_glob_csv` takes
 * them (`*`, `?`, `[abc]`, `[!abc]`, `[a-z]`), matched against whole tags.
 */

const GLOB = /^[a-zA-Z0-9_.\-*?[\]!]{1,128}$/;

export function globProblem(globs: string[]): string | null {
  if (globs.length === 0) return 'rule_value must list at least one tag or glob';
  for (const glob of globs) {
    if (!GLOB.test(glob)) return `${JSON.stringify(glob)} is not a tag glob`;
    try {
      globToRegExp(glob);
    } catch {
      return `${JSON.stringify(glob)} has an unclosed [`;
    }
  }
  return null;
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new Error('unclosed [');
      let body = glob.slice(i + 1, end);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      source += `[${body.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else source += c === '.' ? '\\.' : c;
  }
  return new RegExp(`^${source}$`);
}

export function tagMatcher(globs: string[]): (tag: string) => boolean {
  const patterns = globs.map(globToRegExp);
  return (tag) => patterns.some((p) => p.test(tag));
}
