/** A numeric command-line flag, checked: a clear message naming the flag instead of NaN further on. */
export function numberFlag(
  name: string,
  text: string | undefined,
  check: (value: number) => boolean,
  expected: string,
): number {
  const value = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(value) || !check(value))
    throw new Error(`--${name} must be ${expected}, got '${text}'`);
  return value;
}

export const isWhole = (value: number): boolean => Number.isInteger(value) && value >= 0;
export const isPositiveWhole = (value: number): boolean => Number.isInteger(value) && value > 0;
