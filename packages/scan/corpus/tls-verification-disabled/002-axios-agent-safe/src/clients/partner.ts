import axios from 'axios';
import https from 'node:https';
import { readFileSync } from 'node:fs';

export const partner = axios.create({
  baseURL: 'https://partner.example.net/api',
  httpsAgent: new https.Agent({ ca: readFileSync('/etc/ssl/partner-ca.pem') }),
});
