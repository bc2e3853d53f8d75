import Stripe from 'stripe';

export const stripe = new Stripe('sk_live_zauZNizgW695Luem532pYIgP', { apiVersion: '2024-06-20' });
