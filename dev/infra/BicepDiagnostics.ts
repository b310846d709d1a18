/**
 * Bicep's diagnostics in its default format, one per line:
 * `<file>(<line>,<column>) : <Error|Warning|Info> <code>: <message>`.
 */
export interface BicepDiagnostic {
  file: string;
  line: number;
  column: number;
  level: 'Error' | 'Warning' | 'Info';
  code: string;
  message: string;
}

const LINE = /^(.+?)\((\d+),(\d+)\) : (Error|Warning|Info) ([\w-]+): (.*)$/;

export function parseDiagnostics(output: string): BicepDiagnostic[] {
  return output.split(/\r?\n/).flatMap((text) => {
    const match = LINE.exec(text.trim());
    if (match === null) return [];
    const [, file, line, column, level, code, message] = match;
    return [
      {
        file,
        line: Number(line),
        column: Number(column),
        level: level as BicepDiagnostic['level'],
        code,
        message,
      },
    ];
  });
}

/** `bicep build` reports the linter's findings too, so build and lint together name some twice. */
export function distinctDiagnostics(diagnostics: BicepDiagnostic[]): BicepDiagnostic[] {
  const seen = new Map<string, BicepDiagnostic>();
  for (const diagnostic of diagnostics) {
    seen.set(`${diagnostic.file}:${diagnostic.line}:${diagnostic.column}:${diagnostic.code}`, diagnostic);
  }
  return [...seen.values()];
}
