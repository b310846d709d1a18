/** `%NAME%` in a binding's setting, replaced with the app setting NAME as the Functions host does. */
export function resolveBindingExpression(
  value: string,
  settings: Record<string, string | undefined>,
): string {
  return value.replace(/%([A-Za-z0-9_]+)%/g, (_, key: string) => {
    const resolved = settings[key];
    if (resolved === undefined || resolved === '')
      throw new Error(`binding expression %${key}% has no app setting ${key}`);
    return resolved;
  });
}
