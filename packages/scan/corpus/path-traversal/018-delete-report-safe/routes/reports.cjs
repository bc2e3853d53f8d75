const fs = require('node:fs');
const path = require('node:path');

const REPORTS = path.join(__dirname, '..', 'reports');

module.exports = function deleteReport(req, res) {
  const safeName = path.basename(req.params.report);
  fs.unlink(path.join(REPORTS, safeName), (err) => {
    res.status(err ? 404 : 204).end();
  });
};
