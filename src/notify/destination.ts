import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import { lookup as lookupCallback } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { invalidRequest } from '../domain/refusal.js';

function ipv4FromBits(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/**
 * The IPv4 addresses an IPv6 address carries: a packet to it reaches (or is translated to) them, so
 * it is judged by them. An empty list: it carries none. Null: it carries one at a place this
 * process cannot know (the local-use NAT64 prefix, whose length is a local choice).
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4[] | null {
  const p = address.parts;
  const zero = (...indexes: number[]) => indexes.every((i) => p[i] === 0);
  const lastWords = () => ipv4FromBits(p[6]!, p[7]!);
  if (zero(0, 1, 2, 3, 4) && (p[5] === 0 || p[5] === 0xffff)) return [lastWords()]; // ::/96 compatible, ::ffff:0:0/96 mapped
  if (zero(0, 1, 2, 3) && p[4] === 0xffff && p[5] === 0) return [lastWords()]; // ::ffff:0:0:0/96 translated
  if (p[0] === 0x64 && p[1] === 0xff9b) return zero(2, 3, 4, 5) ? [lastWords()] : null; // NAT64: well-known /96, local-use /48
  if (p[0] === 0x2002) return [ipv4FromBits(p[1]!, p[2]!)]; // 6to4
  if (p[0] === 0x2001 && p[1] === 0)
    return [ipv4FromBits(p[2]!, p[3]!), ipv4FromBits(~p[6]! & 0xffff, ~p[7]! & 0xffff)]; // Teredo: server, and the client stored inverted
  return [];
}

/**
 * Only public unicast addresses may receive webhooks unless private destinations are allowed. The
 * one judgement used at registration and at every connection.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return parsed.range() === 'unicast';
  const embedded = embeddedIPv4(parsed as ipaddr.IPv6);
  if (embedded === null) return false;
  if (embedded.length > 0) return embedded.every((ipv4) => ipv4.range() === 'unicast');
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
    throw invalidRequest(`The webhook URL is refused: ${error.message}.`, [
      { path: 'body.url', message: error.message },
    ]);
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
        return callback(
          new DestinationRefused(`${hostname} resolves to ${refused.address}, a non-public address`),
          '',
          0,
        );
      }
      if (options.all) return (callback as unknown as (e: null, a: typeof list) => void)(null, list);
      const first = list[0]!;
      callback(null, first.address, first.family);
    });
  };
}
