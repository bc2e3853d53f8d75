import { Injectable } from '@nestjs/common';
import { AndFilter, Client, EqualityFilter } from 'ldapts';

@Injectable()
export class GroupsService {
  private readonly client = new Client({ url: process.env.LDAP_URL ?? 'ldap://localhost' });

  async members(group: string) {
    const filter = new AndFilter({ filters: [new EqualityFilter({ attribute: 'objectClass', value: 'groupOfNames' }), new EqualityFilter({ attribute: 'cn', value: group })] });
    const { searchEntries } = await this.client.search('ou=groups,dc=corp', { filter });
    return searchEntries.flatMap((e) => e.member ?? []);
  }
}
