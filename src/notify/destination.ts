import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { lookup as lookupCallback } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { invalidRequest } from '../errors.js';

/** Only public unicast addresses may receive webhooks unless private destinations are allowed. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

export class DestinationRefused extends Error {}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** Resolves the URL's host and refuses it unless every address is public (or private ones are allowed). */
export async function checkDestination(rawUrl: string, allowPrivate: boolean): Promise<void> {
  const url = new URL(rawUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DestinationRefused('only http and https URLs can receive webhooks');
  }
  if (url.username || url.password) throw new DestinationRefused('URLs with credentials are not accepted');
  if (allowPrivate) return;
  const host = hostOf(url);
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new DestinationRefused(`the host ${host} does not resolve`);
  const refused = addresses.find((address) => !isPublicAddress(address));
  if (refused) throw new DestinationRefused(`the host ${host} resolves to ${refused}, a non-public address`);
}

/** The registration-time check, as a 400 with the offending field. */
export async function assertRegistrableUrl(rawUrl: string, allowPrivate: boolean): Promise<void> {
  try {
    await checkDestination(rawUrl, allowPrivate);
  } catch (error) {
    if (!(error instanceof DestinationRefused)) throw error;
    throw invalidRequest(`The webhook URL is refused: ${error.message}.`, [{ path: 'body.url', message: error.message }]);
  }
}

/**
 * A DNS lookup for outgoing connections that fails on non-public addresses, so a name that
 * resolved to a public address at registration cannot be rebound to an internal one at send time.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    lookupCallback(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      const refused = allowPrivate ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (refused) {
        return callback(new DestinationRefused(`${hostname} resolves to ${refused.address}, a non-public address`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}
