import { Injectable } from '@nestjs/common';
import { AndFilter, Client, EqualityFilter } from 'ldapts';

@Injectable()
export class GroupsService {
  private readonly client = new Client({ url: process.env.LDAP_URL ?? 'ldap://localhost' });

  async members(group: string) {
    const { searchEntries } = await this.client.search('ou=groups,dc=corp', { filter: `(&(objectClass=groupOfNames)(cn=${group}))` });
    return searchEntries.flatMap((e) => e.member ?? []);
  }
}
