/**
 * File-name globs for the `files` rules: `*` and `?` (never matching `/`), `[abc]`, `[!abc]`,
 * `{a,b}`. Compiled once per rule; matched against a base name only.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let inGroup = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    switch (c) {
      case '*':
        re += '[^/]*';
        break;
      case '?':
        re += '[^/]';
        break;
      case '[': {
        const end = glob.indexOf(']', i + 2);
        if (end < 0) {
          re += '\\[';
          break;
        }
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
        break;
      }
      case '{':
        inGroup++;
        re += '(?:';
        break;
      case '}':
        if (inGroup > 0) {
          inGroup--;
          re += ')';
        } else re += '\\}';
        break;
      case ',':
        re += inGroup > 0 ? '|' : ',';
        break;
      default:
        re += c.replace(/[.+^$()|\\]/g, '\\$&');
    }
  }
  while (inGroup-- > 0) re += ')';
  return new RegExp(`^${re}$`);
}

export interface CompiledRule {
  pattern: string;
  mapping: string;
  re: RegExp;
}

export function compileRules(rules: { pattern: string; mapping: string }[]): CompiledRule[] {
  return rules.map((r) => ({ ...r, re: globToRegExp(r.pattern) }));
}

/** The mapping of the first rule matching `name`, or undefined. */
export function mappingFor(rules: CompiledRule[], name: string): string | undefined {
  return rules.find((r) => r.re.test(name))?.mapping;
}
