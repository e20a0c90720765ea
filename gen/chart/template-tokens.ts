/**
 * @module
 * Turns generator output into Helm templates. The chart renders the very same generators as
 * `deploy generate-all`, fed with placeholder tokens instead of values; after serialisation each
 * token becomes a small piece of Go template. Literal `{{`/`}}` (Grafana legends, Prometheus
 * alert templates) are escaped first, so only our tokens are template logic.
 */

type TokenKind =
  /** `{{ expr }}` in place (a whole scalar or part of one). */
  | "inline"
  /** A whole map or list value: `key:` then `toYaml expr | nindent`. */
  | "block"
  /** Extra entries merged into a map (the token is a key): `with expr` + `toYaml`. */
  | "entries"
  /** Extra items of a list (the token is an item): `range expr`. */
  | "items";

interface Token {
  kind: TokenKind;
  expr: string;
}

/** Collects tokens for one chart render; `substitute` replaces them in serialised YAML. */
export class TemplateTokens {
  private readonly tokens: Token[] = [];

  private add(kind: TokenKind, expr: string): string {
    this.tokens.push({ kind, expr });
    return `__TPL${this.tokens.length - 1}__`;
  }

  /** A scalar rendered as `{{ expr }}` (add `| quote` in expr where a string must stay a string). */
  inline(expr: string): string {
    return this.add("inline", expr);
  }

  /** Same as inline, typed as a number for generator inputs such as replicas. */
  number(expr: string): number {
    return this.add("inline", expr) as unknown as number;
  }

  /** Same as inline, typed as a boolean. */
  boolean(expr: string): boolean {
    return this.add("inline", expr) as unknown as boolean;
  }

  /** A map or list value taken whole from `expr` (e.g. `.Values.watch.resources`). */
  block<T>(expr: string): T {
    return this.add("block", expr) as unknown as T;
  }

  /** A key whose line becomes the entries of the map at `expr` (e.g. extra labels). */
  entries(expr: string): string {
    return this.add("entries", expr);
  }

  /** A list item whose line becomes one item per element of `expr`. */
  items(expr: string): string {
    return this.add("items", expr);
  }

  /** Replaces every token in `yaml` with its template; escapes literal braces first. */
  substitute(yaml: string): string {
    const escaped = yaml.replace(/\{\{|\}\}/g, (b) => (b === "{{" ? '{{ "{{" }}' : '{{ "}}" }}'));
    const lines = escaped.split("\n").map((line) => this.substituteLine(line));
    const out = lines.join("\n");
    const left = out.match(/__TPL\d+__/);
    if (left) throw new Error(`template token ${left[0]} was not substituted (a token in an unsupported position)`);
    return out;
  }

  private token(index: string): Token {
    const token = this.tokens[Number(index)];
    if (!token) throw new Error(`unknown template token ${index}`);
    return token;
  }

  private substituteLine(line: string): string {
    const block = line.match(/^(\s*)([^\s:][^:]*): ["']?__TPL(\d+)__["']?$/);
    if (block && this.token(block[3] as string).kind === "block") {
      const [, indent = "", key] = block;
      return `${indent}${key}:\n${indent}  {{- toYaml ${this.token(block[3] as string).expr} | nindent ${indent.length + 2} }}`;
    }
    const entries = line.match(/^(\s*)["']?__TPL(\d+)__["']?: .*$/);
    if (entries && this.token(entries[2] as string).kind === "entries") {
      const [, indent = ""] = entries;
      return `${indent}{{- with ${this.token(entries[2] as string).expr} }}\n${indent}{{- toYaml . | nindent ${indent.length} }}\n${indent}{{- end }}`;
    }
    const items = line.match(/^(\s*)- ["']?__TPL(\d+)__["']?$/);
    if (items && this.token(items[2] as string).kind === "items") {
      const [, indent = ""] = items;
      return `${indent}{{- range ${this.token(items[2] as string).expr} }}\n${indent}- {{ . | quote }}\n${indent}{{- end }}`;
    }
    // a whole quoted scalar loses its quotes (the expression decides its type); a token inside a
    // longer string keeps the string's quoting
    return line
      .replace(/(: |- )(["'])__TPL(\d+)__\2$/, (_m, lead: string, _q, i: string) => `${lead}${this.renderInline(i)}`)
      .replace(/__TPL(\d+)__/g, (_m, i: string) => this.renderInline(i));
  }

  private renderInline(index: string): string {
    const token = this.token(index);
    if (token.kind !== "inline") throw new Error(`template token ${index} (${token.kind}) used inline`);
    return `{{ ${token.expr} }}`;
  }
}

/** Wraps a template file's content in `{{- if cond }}` … `{{- end }}`. */
export function wrapIf(condition: string, content: string): string {
  return `{{- if ${condition} }}\n${content.endsWith("\n") ? content : `${content}\n`}{{- end }}\n`;
}
