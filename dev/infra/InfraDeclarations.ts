import { nestedObject, objectEntries, resources, variables, type BicepFile } from './BicepFile';

/**
 * What the templates under `infra/` declare that the app depends on: its app settings, the role
 * assignments of its identity, and the names it creates. Read from the Bicep source, for the
 * consistency test.
 */
export interface AppSetting {
  key: string;
  /** The value's Bicep source text, e.g. `'managedidentity'` or `identityClientId`. */
  value: string;
  file: string;
  line: number;
}

export interface RoleAssignment {
  symbol: string;
  /** The built-in role definition GUIDs the assignment names, literally or through a `var`. */
  roleDefinitionIds: string[];
  /** Type of the resource the assignment is scoped to, when it is a resource of the same file. */
  scopeType?: string;
  file: string;
  line: number;
}

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * The keys of the `properties` object of every `appsettings` config resource of a function app
 * (`Microsoft.Web/sites/config`, declared nested as `'config'` or at top level). A settings
 * object that is not a literal cannot be read, so it throws rather than yield nothing.
 */
export function appSettings(files: Iterable<BicepFile>): AppSetting[] {
  return [...files].flatMap((file) =>
    resources(file)
      .filter(
        (resource) =>
          resource.target === 'config' || resource.target.startsWith('Microsoft.Web/sites/config@'),
      )
      .flatMap((resource) => {
        const body = objectEntries(file, resource.bodyOpen);
        if (body.find((entry) => entry.key === 'name')?.valueText !== "'appsettings'") return [];
        const properties = nestedObject(file, body, 'properties');
        if (properties === undefined) {
          throw new Error(
            `${file.path}:${resource.line}: the app settings of ${resource.symbol} must be an object literal to be checked`,
          );
        }
        return properties.map((entry) => ({
          key: entry.key,
          value: entry.valueText,
          file: file.path,
          line: entry.line,
        }));
      }),
  );
}

export function roleAssignments(files: Iterable<BicepFile>): RoleAssignment[] {
  return [...files].flatMap((file) => {
    const guidVariables = new Map(
      variables(file).flatMap(({ name, valueText }) =>
        /^'[0-9a-f-]{36}'$/i.test(valueText) ? [[name, valueText.slice(1, -1)]] : [],
      ),
    );
    const declared = resources(file);
    return declared
      .filter((resource) => resource.target.startsWith('Microsoft.Authorization/roleAssignments@'))
      .map((resource) => {
        const body = objectEntries(file, resource.bodyOpen);
        const roleText =
          nestedObject(file, body, 'properties')?.find((entry) => entry.key === 'roleDefinitionId')
            ?.valueText ?? '';
        const named = [...(roleText.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [])].flatMap(
          (word) => guidVariables.get(word) ?? [],
        );
        const scope = body.find((entry) => entry.key === 'scope')?.valueText;
        return {
          symbol: resource.symbol,
          roleDefinitionIds: [...(roleText.match(GUID) ?? []), ...named].map((id) => id.toLowerCase()),
          scopeType: declared.find((candidate) => candidate.symbol === scope)?.target,
          file: file.path,
          line: resource.line,
        };
      });
  });
}

/** Every string literal's content, `${…}` interpolations as written. */
export function stringLiterals(files: Iterable<BicepFile>): Set<string> {
  return new Set(
    [...files].flatMap((file) =>
      file.tokens.filter((token) => token.kind === 'string').map((token) => token.text),
    ),
  );
}
