import { parseXmlString } from 'libxmljs2';

export function parseFeed(xml: string) {
  return parseXmlString(xml, { noent: false, dtdload: false, nonet: true });
}
