export const config = {
  port: Number(process.env.PORT ?? 3000),
  jwtSecret: '8dce9eb73795c70c181146603e7aec58ba9e02248d82dc03',
  tokenTtlSeconds: 900,
};
