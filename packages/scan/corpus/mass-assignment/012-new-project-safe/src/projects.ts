import { Hono } from 'hono';
import { Project } from './models/project';

export const projects = new Hono<{ Variables: { userId: string } }>();

projects.post('/projects', async (c) => {
  const body = await c.req.json();
  const project = new Project({ name: String(body.name), description: String(body.description ?? ''), ownerId: c.get('userId'), plan: 'free' });
  await project.save();
  return c.json(project, 201);
});
