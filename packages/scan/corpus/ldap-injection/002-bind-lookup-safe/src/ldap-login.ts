import express from 'express';
import ldap from 'ldapjs';

const client = ldap.createClient({ url: 'ldaps://ldap.corp.example' });
export const ldapLogin = express.Router();

ldapLogin.post('/login/ldap', (req, res) => {
  const username = req.body.username;
  const filter = new ldap.EqualityFilter({ attribute: 'uid', value: String(username) });
  client.search('ou=people,dc=corp,dc=example', { scope: 'sub', filter }, (err, search) => {
    if (err) return res.status(500).end();
    const entries: unknown[] = [];
    search.on('searchEntry', (entry) => entries.push(entry.pojo));
    search.on('end', () => res.json({ found: entries.length === 1 }));
  });
});
