
function restoreState(blob) {
  return JSON.parse(Buffer.from(blob, 'base64').toString());
}

module.exports = { restoreState };
