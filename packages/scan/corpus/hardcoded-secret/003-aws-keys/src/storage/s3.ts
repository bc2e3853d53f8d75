import { S3Client } from '@aws-sdk/client-s3';

export const s3 = new S3Client({
  region: 'eu-west-1',
  credentials: {
    accessKeyId: 'AKIADPG5SBA2DKAQ6LLH',
    secretAccessKey: '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',
  },
});
