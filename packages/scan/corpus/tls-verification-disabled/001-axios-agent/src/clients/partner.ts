import axios from 'axios';
import https from 'node:https';

export const partner = axios.create({
  baseURL: 'https://partner.example.net/api',
  httpsAgent: new https.Agent({ rejectUnauthorized: false }),
});
