import { spawn } from 'node:child_process';
import type { FastifyInstance } from 'fastify';

export async function transcodeRoutes(app: FastifyInstance) {
  app.post('/transcode', async (request, reply) => {
    const { input, preset } = request.body as { input: string; preset: string };
    const child = spawn('ffmpeg', ['-i', input, '-preset', preset, '/srv/out/latest.mp4'], { shell: true });
    child.on('close', (code) => reply.send({ code }));
    return reply;
  });
}
