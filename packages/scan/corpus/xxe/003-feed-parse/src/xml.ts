import { parseXmlString } from 'libxmljs2';

export function parseFeed(xml: string) {
  return parseXmlString(xml, { noent: true, dtdload: true });
}
