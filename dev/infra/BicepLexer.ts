/**
 * A small Bicep tokenizer: enough to check the structure of a template and read its object
 * literals without the Bicep compiler, which cannot be installed offline. Strings (with their
 * `${…}` interpolations) and comments are single tokens, so braces inside them never count.
 */
export type TokenKind = 'open' | 'close' | 'string' | 'ident' | 'number' | 'colon' | 'newline' | 'operator';

export interface Token {
  kind: TokenKind;
  /** The source text of the token; for a string, its content between the quotes, escapes untouched. */
  text: string;
  line: number;
  start: number;
  end: number;
}

export class BicepSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'BicepSyntaxError';
  }
}

const OPERATORS = ['=>', '==', '!=', '>=', '<=', '&&', '||', '??', '?.', '.?', '::', '=~', '!~'];
const OPENERS = new Set(['{', '[', '(']);
const CLOSERS = new Set(['}', ']', ')']);

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const push = (kind: TokenKind, text: string, start: number, end: number, atLine = line): void => {
    tokens.push({ kind, text, line: atLine, start, end });
  };

  /** Reads a `'…'` string from its opening quote; returns the index after the closing quote. */
  const readString = (from: number): number => {
    const startLine = line;
    let j = from + 1;
    while (j < source.length) {
      const ch = source[j];
      if (ch === '\\') {
        j += 2;
      } else if (ch === "'") {
        return j + 1;
      } else if (ch === '\n') {
        throw new BicepSyntaxError('a string does not end on its line', startLine);
      } else if (ch === '$' && source[j + 1] === '{') {
        j = skipInterpolation(j + 2, startLine);
      } else {
        j += 1;
      }
    }
    throw new BicepSyntaxError('a string is not closed', startLine);
  };

  /** Skips an interpolated expression up to its closing brace, nested strings included. */
  const skipInterpolation = (from: number, startLine: number): number => {
    let depth = 1;
    let j = from;
    while (j < source.length) {
      const ch = source[j];
      if (ch === "'") {
        j = readString(j);
        continue;
      }
      if (ch === '\n') throw new BicepSyntaxError('an interpolation does not end on its line', startLine);
      if (ch === '{') depth += 1;
      if (ch === '}') {
        depth -= 1;
        if (depth === 0) return j + 1;
      }
      j += 1;
    }
    throw new BicepSyntaxError('an interpolation is not closed', startLine);
  };

  while (i < source.length) {
    const ch = source[i];
    if (ch === '\n') {
      push('newline', '\n', i, i + 1);
      line += 1;
      i += 1;
    } else if (ch === ' ' || ch === '\t' || ch === '\r') {
      i += 1;
    } else if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (source.startsWith('/*', i)) {
      const close = source.indexOf('*/', i + 2);
      if (close < 0) throw new BicepSyntaxError('a block comment is not closed', line);
      line += countNewlines(source, i, close);
      i = close + 2;
    } else if (source.startsWith("'''", i)) {
      const close = source.indexOf("'''", i + 3);
      if (close < 0) throw new BicepSyntaxError('a multi-line string is not closed', line);
      push('string', source.slice(i + 3, close), i, close + 3);
      line += countNewlines(source, i, close);
      i = close + 3;
    } else if (ch === "'") {
      const end = readString(i);
      push('string', source.slice(i + 1, end - 1), i, end);
      i = end;
    } else if (/[A-Za-z_]/.test(ch)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))![0];
      push('ident', match, i, i + match.length);
      i += match.length;
    } else if (/[0-9]/.test(ch)) {
      const match = /^[0-9]+/.exec(source.slice(i))![0];
      push('number', match, i, i + match.length);
      i += match.length;
    } else {
      const operator = OPERATORS.find((op) => source.startsWith(op, i));
      if (operator !== undefined) {
        push('operator', operator, i, i + operator.length);
        i += operator.length;
      } else {
        push(
          OPENERS.has(ch) ? 'open' : CLOSERS.has(ch) ? 'close' : ch === ':' ? 'colon' : 'operator',
          ch,
          i,
          i + 1,
        );
        i += 1;
      }
    }
  }
  return tokens;
}

function countNewlines(source: string, from: number, to: number): number {
  let count = 0;
  for (let k = from; k < to; k += 1) if (source[k] === '\n') count += 1;
  return count;
}
