import { BicepSyntaxError, tokenize, type Token } from './BicepLexer';

/**
 * One Bicep file read as far as the checks need: its declarations and its object literals.
 * Not a compiler: it knows the shape of declarations, not the meaning of expressions.
 */
export interface BicepFile {
  path: string;
  source: string;
  tokens: Token[];
  /** Token index of every opening delimiter → token index of its closing one. */
  closing: Map<number, number>;
}

export interface ParamDeclaration {
  name: string;
  line: number;
  /** The default value's source text, when there is one. */
  defaultText?: string;
}

/** A `module` or `resource`: its symbolic name, its path or type string, and the `{` of its body. */
export interface BodyDeclaration {
  symbol: string;
  target: string;
  line: number;
  bodyOpen: number;
}

export interface ObjectEntry {
  key: string;
  line: number;
  /** Token indices of the value, inclusive. */
  valueStart: number;
  valueEnd: number;
  valueText: string;
}

const PAIRS: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

export function parseBicep(path: string, source: string): BicepFile {
  const tokens = tokenize(source);
  const closing = new Map<number, number>();
  const stack: number[] = [];
  tokens.forEach((token, index) => {
    if (token.kind === 'open') {
      stack.push(index);
    } else if (token.kind === 'close') {
      const opener = stack.pop();
      if (opener === undefined) throw new BicepSyntaxError(`'${token.text}' closes nothing`, token.line);
      if (PAIRS[tokens[opener].text] !== token.text) {
        throw new BicepSyntaxError(
          `'${token.text}' closes the '${tokens[opener].text}' of line ${tokens[opener].line}`,
          token.line,
        );
      }
      closing.set(opener, index);
    }
  });
  const unclosed = stack.pop();
  if (unclosed !== undefined)
    throw new BicepSyntaxError(`'${tokens[unclosed].text}' is never closed`, tokens[unclosed].line);
  return { path, source, tokens, closing };
}

/** Indices of the tokens that start a statement: the first token of a line. */
function statementStarts(file: BicepFile): number[] {
  return file.tokens.flatMap((token, index) =>
    token.kind !== 'newline' && (index === 0 || file.tokens[index - 1].kind === 'newline') ? [index] : [],
  );
}

function keywordAt(file: BicepFile, index: number, keyword: string): boolean {
  const token = file.tokens[index];
  return token.kind === 'ident' && token.text === keyword;
}

export function params(file: BicepFile): ParamDeclaration[] {
  return assignments(file, 'param').map(({ name, line, valueText }) => ({
    name,
    line,
    defaultText: valueText,
  }));
}

/** `var` declarations with their value's source text. */
export function variables(file: BicepFile): { name: string; line: number; valueText: string }[] {
  return assignments(file, 'var').flatMap(({ name, line, valueText }) =>
    valueText === undefined ? [] : [{ name, line, valueText }],
  );
}

function assignments(
  file: BicepFile,
  keyword: 'param' | 'var',
): { name: string; line: number; valueText?: string }[] {
  const { tokens } = file;
  return statementStarts(file)
    .filter((index) => keywordAt(file, index, keyword) && tokens[index + 1]?.kind === 'ident')
    .map((index) => {
      const equals = indexOnLine(file, index, (token) => token.kind === 'operator' && token.text === '=');
      return {
        name: tokens[index + 1].text,
        line: tokens[index].line,
        valueText: equals === undefined ? undefined : valueText(file, equals + 1, valueEnd(file, equals + 1)),
      };
    });
}

export function modules(file: BicepFile): BodyDeclaration[] {
  return bodyDeclarations(file, 'module');
}

/** Every resource, nested child resources included. */
export function resources(file: BicepFile): BodyDeclaration[] {
  return bodyDeclarations(file, 'resource');
}

/** Extension aliases (`extension microsoftGraphV1`); registry references in quotes need no alias. */
export function extensionAliases(file: BicepFile): { alias: string; line: number }[] {
  return statementStarts(file)
    .filter((index) => keywordAt(file, index, 'extension') && file.tokens[index + 1]?.kind === 'ident')
    .map((index) => ({ alias: file.tokens[index + 1].text, line: file.tokens[index].line }));
}

/** Paths given to the `load*Content` / `loadFileAsBase64` functions, which must exist at build time. */
export function loadedPaths(file: BicepFile): { path: string; line: number }[] {
  const { tokens } = file;
  return tokens.flatMap((token, index) =>
    token.kind === 'ident' &&
    /^load(\w*Content|FileAsBase64)$/.test(token.text) &&
    tokens[index + 1]?.text === '(' &&
    tokens[index + 2]?.kind === 'string'
      ? [{ path: tokens[index + 2].text, line: token.line }]
      : [],
  );
}

function bodyDeclarations(file: BicepFile, keyword: 'module' | 'resource'): BodyDeclaration[] {
  const { tokens } = file;
  return statementStarts(file).flatMap((index) => {
    if (
      !keywordAt(file, index, keyword) ||
      tokens[index + 1]?.kind !== 'ident' ||
      tokens[index + 2]?.kind !== 'string'
    )
      return [];
    const bodyOpen = tokens.findIndex(
      (token, k) => k > index + 2 && token.kind === 'open' && token.text === '{',
    );
    return bodyOpen < 0
      ? []
      : [
          {
            symbol: tokens[index + 1].text,
            target: tokens[index + 2].text,
            line: tokens[index].line,
            bodyOpen,
          },
        ];
  });
}

/**
 * The entries of the object literal that opens at `openIndex`: keys at its own level only.
 * A key starts a line (or follows `{` or `,`) and is followed by `:`, which tells it apart from
 * the `:` of a `cond ? a : b` inside a value.
 */
export function objectEntries(file: BicepFile, openIndex: number): ObjectEntry[] {
  const { tokens } = file;
  const close = file.closing.get(openIndex);
  if (tokens[openIndex]?.text !== '{' || close === undefined) return [];
  const entries: ObjectEntry[] = [];
  let index = openIndex + 1;
  while (index < close) {
    const token = tokens[index];
    const previous = tokens[index - 1];
    const startsEntry = index === openIndex + 1 || previous.kind === 'newline' || previous.text === ',';
    if (
      startsEntry &&
      (token.kind === 'ident' || token.kind === 'string') &&
      tokens[index + 1]?.kind === 'colon'
    ) {
      const valueStart = index + 2;
      const end = valueEnd(file, valueStart, close);
      entries.push({
        key: token.text,
        line: token.line,
        valueStart,
        valueEnd: end,
        valueText: valueText(file, valueStart, end),
      });
      index = end + 1;
    } else {
      index = token.kind === 'open' ? file.closing.get(index)! + 1 : index + 1;
    }
  }
  return entries;
}

/** The entries of `key`'s value when that value is an object literal; undefined otherwise. */
export function nestedObject(
  file: BicepFile,
  entries: ObjectEntry[],
  key: string,
): ObjectEntry[] | undefined {
  const entry = entries.find((candidate) => candidate.key === key);
  if (
    entry === undefined ||
    file.tokens[entry.valueStart]?.text !== '{' ||
    file.closing.get(entry.valueStart) !== entry.valueEnd
  ) {
    return undefined;
  }
  return objectEntries(file, entry.valueStart);
}

/** The last token index of a value that starts at `start`: up to the end of its line, nested delimiters whole. */
function valueEnd(file: BicepFile, start: number, limit = file.tokens.length): number {
  const { tokens } = file;
  let index = start;
  let last = start;
  while (index < limit && tokens[index].kind !== 'newline' && tokens[index].text !== ',') {
    last = tokens[index].kind === 'open' ? file.closing.get(index)! : index;
    index = last + 1;
  }
  return last;
}

function valueText(file: BicepFile, start: number, end: number): string {
  return file.source.slice(file.tokens[start].start, file.tokens[end].end).trim();
}

function indexOnLine(
  file: BicepFile,
  from: number,
  predicate: (token: Token) => boolean,
): number | undefined {
  for (let index = from; index < file.tokens.length && file.tokens[index].kind !== 'newline'; index += 1) {
    if (predicate(file.tokens[index])) return index;
  }
  return undefined;
}
