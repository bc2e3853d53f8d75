const { sequelize } = require('../db.cjs');
const { QueryTypes } = require('sequelize');

async function entriesFor(actor) {
  return sequelize.query("SELECT * FROM audit_entries WHERE actor = '" + actor + "' ORDER BY at DESC", { type: QueryTypes.SELECT });
}

module.exports = { entriesFor };
