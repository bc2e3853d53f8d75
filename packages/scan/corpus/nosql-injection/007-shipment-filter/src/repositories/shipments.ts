import { MongoClient } from 'mongodb';

const client = new MongoClient(process.env.MONGO_URL ?? 'mongodb://localhost:27017');

export async function findShipments(filter: Record<string, unknown>) {
  return client.db('logistics').collection('shipments').find(filter).limit(100).toArray();
}
