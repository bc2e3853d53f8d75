import Router from '@koa/router';
import { Client } from 'ldapts';
import { phonebookFilter } from '../lib/ldap-filters';

const ldap = new Client({ url: 'ldap://ldap:389' });
export const phonebook = new Router();

phonebook.get('/phonebook', async (ctx) => {
  const term = String(ctx.query.q ?? '');
  const { searchEntries } = await ldap.search('ou=staff,dc=example', { filter: phonebookFilter(term) });
  ctx.body = searchEntries;
});
