import { WebClient } from '@slack/web-api';

const SLACK_BOT_TOKEN = process.env.SLACK_BOT_TOKEN ?? 'xoxb-your-token-here';
const slack = new WebClient(SLACK_BOT_TOKEN);

export function notify(channel, text) {
  return slack.chat.postMessage({ channel, text });
}
