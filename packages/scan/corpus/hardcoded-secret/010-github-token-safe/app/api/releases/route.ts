export async function GET() {
  const response = await fetch('https://api.github.com/repos/example/app/releases', {
    headers: { authorization: `token ${process.env.GITHUB_TOKEN}`, accept: 'application/vnd.github+json' },
  });
  return Response.json(await response.json());
}
