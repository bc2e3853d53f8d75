const { createServer } = require('node:http');
const yaml = require('js-yaml');

createServer(async (req, res) => {
  let source = '';
  for await (const chunk of req) source += chunk;
  const pipeline = yaml.load(source, { schema: yaml.FAILSAFE_SCHEMA });
  res.end(JSON.stringify({ stages: Object.keys(pipeline.stages || {}) }));
}).listen(8070);
