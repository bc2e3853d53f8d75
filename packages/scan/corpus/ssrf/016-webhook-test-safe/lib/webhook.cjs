const axios = require('axios');
const { assertPublicHttpsUrl } = require('./url-guard.cjs');

async function sendTest(url) {
  await assertPublicHttpsUrl(url);
  const response = await axios.post(url, { event: 'test' }, { timeout: 5000, maxRedirects: 0 });
  return response.status;
}

module.exports = { sendTest };
