/** The core attributes the planner keeps for every user (docs/design.md, "Planning"). */
export interface DirectoryUser {
  id: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  userPrincipalName: string | null;
  accountEnabled: boolean | null;
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
