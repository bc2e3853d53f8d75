import { Hono } from 'hono';
import { Project } from './models/project';

export const projects = new Hono<{ Variables: { userId: string } }>();

projects.post('/projects', async (c) => {
  const body = await c.req.json();
  const project = new Project({ ownerId: c.get('userId'), plan: 'free', ...body });
  await project.save();
  return c.json(project, 201);
});
