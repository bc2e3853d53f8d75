// A client process for the cross-process rate-limit test: sends `count` concurrent GET requests to
// http://127.0.0.1:<port><path> and prints how many got each status, as JSON. Arguments: port, path, count.
import { Agent, request } from 'node:http';

const [port = '0', path = '/', count = '0'] = process.argv.slice(2);
// Requests are all issued at once; the agent caps open sockets per process, so 4 processes stay under the listen backlog.
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function get(): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port: Number(port), path, agent, timeout: 30_000 }, (response) => {
      response.resume();
      response.on('end', () => {
        resolve(response.statusCode ?? 0);
      });
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const statuses = await Promise.all(Array.from({ length: Number(count) }, get));
const counts: Record<string, number> = {};
for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
process.stdout.write(JSON.stringify(counts));
agent.destroy();
