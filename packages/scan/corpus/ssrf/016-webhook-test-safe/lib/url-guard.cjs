const dns = require('node:dns/promises');
const net = require('node:net');

function isPrivate(address) {
  if (net.isIPv6(address)) return address === '::1' || /^f[cd]/i.test(address) || /^fe80/i.test(address);
  const [a, b] = address.split('.').map(Number);
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

async function assertPublicHttpsUrl(raw) {
  const url = new URL(raw);
  if (url.protocol !== 'https:') throw new Error('webhook URL must use https');
  const addresses = await dns.lookup(url.hostname, { all: true });
  if (addresses.some((entry) => isPrivate(entry.address))) throw new Error('webhook URL resolves to a private address');
}

module.exports = { assertPublicHttpsUrl };
