import { execSync } from 'node:child_process';
import { quote } from 'shell-quote';

export function exportZip(req, res) {
  const name = req.body.name;
  const quoted = quote([`/srv/exports/${name}.zip`]);
  execSync(`zip -r ${quoted} /srv/reports`);
  res.download(`${name}.zip`, { root: '/srv/exports' });
}
