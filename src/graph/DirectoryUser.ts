import type { CoreAttributes } from '../domain/IdentityRecord';

/** A user as the planner lists them (docs/design.md, "Planning"): the object id and core attributes. */
export interface DirectoryUser extends CoreAttributes {
  id: string;
}

export const CORE_ATTRIBUTES: ReadonlyArray<keyof DirectoryUser> = [
  'id',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'userPrincipalName',
  'accountEnabled',
];
