/**
 * Entra groups for the simulated tenant: each has direct user members, a range of users by index
 * (so a benchmark's 50k-member group costs nothing to describe) and nested groups. Graph's
 * `transitiveMembers/microsoft.graph.user` is the users reached through any depth of nesting, each
 * once, without the deleted ones; cycles (which Entra allows) end where a group was seen.
 */
import { createHash } from 'node:crypto';
import type { SimulatedTenant } from './SimulatedTenant';

export interface GroupDefinition {
  /** Default: derived from the display name. */
  id?: string;
  displayName: string;
  /** User ids or userPrincipalNames. */
  users?: string[];
  /** Users by tenant index, `from` inclusive, `to` exclusive. */
  userRange?: { from: number; to: number };
  /** Ids of nested groups (they may be added later). */
  groups?: string[];
}

interface Group {
  id: string;
  displayName: string;
  users: Set<number>;
  userRange?: { from: number; to: number };
  groups: Set<string>;
}

export class SimulatedGroups {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly tenant: SimulatedTenant) {}

  add(definition: GroupDefinition): string {
    const id = (definition.id ?? groupIdFor(definition.displayName)).toLowerCase();
    const users = new Set((definition.users ?? []).map((user) => this.indexOf(user)));
    this.groups.set(id, {
      id,
      displayName: definition.displayName,
      users,
      userRange: definition.userRange,
      groups: new Set((definition.groups ?? []).map((group) => group.toLowerCase())),
    });
    return id;
  }

  has(groupId: string): boolean {
    return this.groups.has(groupId.toLowerCase());
  }

  addMember(groupId: string, user: string): void {
    this.require(groupId).users.add(this.indexOf(user));
  }

  removeMember(groupId: string, user: string): void {
    const group = this.require(groupId);
    const index = this.indexOf(user);
    group.users.delete(index);
    if (group.userRange !== undefined && index >= group.userRange.from && index < group.userRange.to)
      throw new Error(`User ${user} is a member of ${groupId} through its index range`);
  }

  /** The transitive user members' tenant indices, in a stable order, for paging. */
  transitiveUserIndices(groupId: string): number[] {
    const seen = new Set<string>();
    const members = new Set<number>();
    const visit = (id: string): void => {
      const group = this.groups.get(id);
      if (group === undefined || seen.has(id)) return;
      seen.add(id);
      for (const index of group.users) members.add(index);
      if (group.userRange !== undefined)
        for (let i = group.userRange.from; i < Math.min(group.userRange.to, this.tenant.count); i++)
          members.add(i);
      for (const nested of group.groups) visit(nested);
    };
    visit(groupId.toLowerCase());
    return [...members].filter((index) => this.tenant.isListed(index)).sort((a, b) => a - b);
  }

  private require(groupId: string): Group {
    const group = this.groups.get(groupId.toLowerCase());
    if (group === undefined) throw new Error(`Unknown group ${groupId}`);
    return group;
  }

  private indexOf(user: string): number {
    const index = this.tenant.indexOf(user);
    if (index === undefined) throw new Error(`Unknown user ${user}`);
    return index;
  }
}

/** A stable GUID per display name, so a demo's groups keep their ids from one start to the next. */
export function groupIdFor(displayName: string): string {
  const h = createHash('sha1').update(`group:${displayName}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16], 16) & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
