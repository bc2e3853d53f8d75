import { ConfigurationError } from '../../errors.js';
import { isEndpointName, normalizeReportUrl } from './csp-grammar.js';

/**
 * The `Reporting-Endpoints` value (W3C Reporting API v1 §3.2, a structured-field dictionary): `name="url", …`. Names
 * must be structured-field keys and URLs https (or local http), so reports — which carry page and blocked URLs — never
 * cross the network in clear and no value can break out of the header.
 */
export function reportingEndpointsValue(endpoints: Readonly<Record<string, string>>): string {
  const entries = Object.entries(endpoints);
  if (entries.length === 0) throw new ConfigurationError('Reporting-Endpoints: name at least one endpoint, or omit the option');
  return entries
    .map(([name, url]) => {
      if (!isEndpointName(name)) throw new ConfigurationError('Reporting-Endpoints: names are lower-case tokens');
      return `${name}="${normalizeReportUrl('Reporting-Endpoints', url)}"`;
    })
    .join(', ');
}
