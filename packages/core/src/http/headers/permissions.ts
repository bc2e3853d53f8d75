import { ConfigurationError } from '../../errors.js';

/**
 * Features denied by default (`feature=()`): sensors, devices, capture and payment. A page of this origin — or a
 * script or frame injected into it — cannot prompt for camera, microphone or location. Features outside this list keep
 * the browser default, so same-origin WebAuthn, fullscreen and the like keep working.
 */
export const DENIED_FEATURES: readonly string[] = Object.freeze([
  'accelerometer',
  'camera',
  'display-capture',
  'geolocation',
  'gyroscope',
  'hid',
  'magnetometer',
  'microphone',
  'midi',
  'payment',
  'serial',
  'usb',
  'xr-spatial-tracking',
]);

/** An allowlist per feature: `[]` denies, `['self']`, `['*']`, or origins (`'https://maps.example'`). */
export type PermissionsPolicy = Readonly<Record<string, readonly string[]>>;

function allowlist(feature: string, members: readonly unknown[]): string {
  if (members.length === 1 && members[0] === '*') return '*';
  const items = members.map((member) => {
    if (member === 'self') return 'self';
    if (typeof member !== 'string') throw new ConfigurationError(`Permissions-Policy ${feature}: expected origins`);
    let origin: string;
    try {
      origin = new URL(member).origin;
    } catch {
      throw new ConfigurationError(`Permissions-Policy ${feature}: not an origin`);
    }
    // Only exact origins: `null` or anything with a path would be ignored or misread by the browser.
    if (origin === 'null' || (origin !== member && `${origin}/` !== member)) {
      throw new ConfigurationError(`Permissions-Policy ${feature}: not an origin`);
    }
    return `"${origin}"`;
  });
  return `(${items.join(' ')})`;
}

/**
 * The `Permissions-Policy` value (a structured-field dictionary, W3C Permissions Policy §5.2): the default denials
 * with `overrides` on top. Feature names and origins are validated so a value cannot break out of the header.
 */
export function permissionsPolicyValue(overrides: PermissionsPolicy = {}): string {
  const policy = new Map<string, readonly unknown[]>(DENIED_FEATURES.map((feature) => [feature, []]));
  for (const [feature, members] of Object.entries(overrides)) {
    if (!/^[a-z][a-z0-9-]*$/.test(feature)) throw new ConfigurationError('Permissions-Policy: feature names are lower-case tokens');
    if (!Array.isArray(members)) throw new ConfigurationError(`Permissions-Policy ${feature}: expected an array`);
    policy.set(feature, members as readonly unknown[]);
  }
  return [...policy].map(([feature, members]) => `${feature}=${allowlist(feature, members)}`).join(', ');
}
