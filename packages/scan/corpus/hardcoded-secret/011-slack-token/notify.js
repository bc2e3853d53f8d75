import { WebClient } from '@slack/web-api';

const SLACK_BOT_TOKEN = 'xoxb-774369359686-1718574686211-csMg4C2ayfrY72p9XvH4s7tB';
const slack = new WebClient(SLACK_BOT_TOKEN);

export function notify(channel, text) {
  return slack.chat.postMessage({ channel, text });
}
