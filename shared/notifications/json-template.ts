/**
 * Quay's webhook templates (`config.template`): a JSON document whose
 * strings may hold `${path}` expressions into the event data. A string
 * that is only an expression becomes the value found (typed: a list stays
 * a list); expressions inside longer strings become text, "(none)" when
 * nothing is found and comma-separated when several values are.
 *
 * Paths are the JSONPath subset templates use: field names joined by dots
 * (`repository`, `$.repository`), indexes (`updated_tags[0]`), quoted
 * names (`['docker_url']`) and wildcards (`updated_tags[*]`, `*`).
 */

export class TemplateError extends Error {}

type Step = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'all' };

const INLINE = /\$\{([^}]*)\}/g;
const WHOLE = /^\$\{([^}]*)\}$/;

function parsePath(expression: string): Step[] {
  const source = expression.trim();
  if (source === '') throw new TemplateError('empty expression ${}');
  const steps: Step[] = [];
  let rest = source.startsWith('$') ? source.slice(1) : source;
  let first = !source.startsWith('$');
  while (rest.length > 0) {
    let match: RegExpExecArray | null;
    if ((match = /^\[\s*(\d+)\s*\]/.exec(rest))) {
      steps.push({ kind: 'index', index: Number(match[1]) });
    } else if ((match = /^\[\s*\*\s*\]/.exec(rest)) || (match = /^\.?\*/.exec(rest))) {
      steps.push({ kind: 'all' });
    } else if (
      (match = /^\[\s*'([^']*)'\s*\]/.exec(rest)) ||
      (match = /^\[\s*"([^"]*)"\s*\]/.exec(rest))
    ) {
      steps.push({ kind: 'field', name: match[1]! });
    } else if ((match = (first ? /^([A-Za-z_][\w-]*)/ : /^\.([A-Za-z_][\w-]*)/).exec(rest))) {
      steps.push({ kind: 'field', name: match[1]! });
    } else {
      throw new TemplateError(`for expression \`${expression}\`: cannot read "${rest}"`);
    }
    rest = rest.slice(match[0].length);
    first = false;
  }
  if (steps.length === 0) throw new TemplateError(`for expression \`${expression}\`: no path`);
  return steps;
}

function find(steps: Step[], data: unknown): unknown[] {
  let found: unknown[] = [data];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of found) {
      if (step.kind === 'field') {
        if (
          value &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          Object.hasOwn(value, step.name)
        ) {
          next.push((value as Record<string, unknown>)[step.name]);
        }
      } else if (step.kind === 'index') {
        if (Array.isArray(value) && step.index < value.length) next.push(value[step.index]);
      } else if (Array.isArray(value)) {
        next.push(...value);
      } else if (value && typeof value === 'object') {
        next.push(...Object.values(value));
      }
    }
    found = next;
  }
  return found;
}

function evaluate(expression: string, data: unknown): unknown {
  const found = find(parsePath(expression), data);
  if (found.length === 0) return null;
  return found.length === 1 ? found[0] : found;
}

function asText(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (Array.isArray(value)) return value.map(asText).join(',');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function applyString(template: string, data: unknown): unknown {
  const whole = WHOLE.exec(template);
  if (whole) return evaluate(whole[1]!, data);
  return template.replace(INLINE, (_, expression: string) => asText(evaluate(expression, data)));
}

function applyValue(template: unknown, data: unknown): unknown {
  if (typeof template === 'string') return applyString(template, data);
  if (Array.isArray(template)) return template.map((item) => applyValue(item, data));
  if (template && typeof template === 'object') {
    return Object.fromEntries(
      Object.entries(template).map(([key, value]) => [
        asText(applyString(key, data)),
        applyValue(value, data),
      ]),
    );
  }
  return template;
}

/** A parsed template, checked by applying it to empty data (as Quay does). */
export class JsonTemplate {
  private readonly parsed: unknown;

  constructor(source: string) {
    try {
      this.parsed = JSON.parse(source);
    } catch (error) {
      throw new TemplateError(`could not parse template: ${(error as Error).message}`);
    }
    this.apply({});
  }

  apply(data: Record<string, unknown>): unknown {
    return applyValue(this.parsed, data);
  }
}
