import cors from 'cors';
import express from 'express';

export const app = express();
app.use(cors({ origin: ['https://app.example.com', 'https://admin.example.com'], credentials: true }));
