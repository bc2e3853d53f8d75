const axios = require('axios');

async function sendTest(url) {
  const response = await axios.post(url, { event: 'test' }, { timeout: 5000, maxRedirects: 0 });
  return response.status;
}

module.exports = { sendTest };
