const serialize = require('node-serialize');

function restoreState(blob) {
  return serialize.unserialize(Buffer.from(blob, 'base64').toString());
}

module.exports = { restoreState };
