import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../src/notify/destination.js';
import { WebhookSender } from '../src/notify/sender.js';
import { WebhookReceiver } from './support/receiver.js';

describe('webhook destinations are checked again at every send', () => {
  it('classifies addresses: only public unicast passes', () => {
    for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])
      expect(isPublicAddress(address), address).toBe(true);
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd12::1',
      'ff02::1',
      '::ffff:10.0.0.1',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  // Each IPv6 form that carries an IPv4 address is judged by that address, as the URL parser
  // writes it (`[::127.0.0.1]` becomes `::7f00:1`).
  it.each([
    ['IPv4-compatible ::/96', '::a9fe:a9fe', '::5db8:d70e'],
    ['IPv4-compatible, dotted', '::10.0.0.1', '::93.184.215.14'],
    ['IPv4-mapped ::ffff:0:0/96', '::ffff:7f00:1', '::ffff:5db8:d70e'],
    ['IPv4-translated ::ffff:0:0:0/96', '::ffff:0:a00:1', '::ffff:0:5db8:d70e'],
    ['NAT64 64:ff9b::/96', '64:ff9b::a9fe:a9fe', '64:ff9b::5db8:d70e'],
    ['6to4 2002::/16', '2002:c0a8:101::1', '2002:5db8:d70e::1'],
    ['Teredo 2001::/32, private server', '2001:0:a00:1::5db8:d70e', null],
    [
      'Teredo 2001::/32, private client (stored inverted)',
      '2001:0:5db8:d70e::f5ff:fffe',
      '2001:0:5db8:d70e::a247:28f1',
    ],
  ])('judges %s by the embedded IPv4 address', (_form, embedsPrivate, embedsPublic) => {
    expect(isPublicAddress(embedsPrivate), embedsPrivate).toBe(false);
    if (embedsPublic) expect(isPublicAddress(embedsPublic), embedsPublic).toBe(true);
  });

  it('refuses the local-use NAT64 prefix 64:ff9b:1::/48, whose embedding depends on a local prefix length', () => {
    expect(isPublicAddress('64:ff9b:1::5db8:d70e')).toBe(false);
  });

  it('refuses to send to a loopback address or a name that resolves to one, and sends when private is allowed', async () => {
    const receiver = await WebhookReceiver.start();
    const sender = new WebhookSender({ timeoutMs: 1_000 });
    try {
      const byAddress = await sender.send(receiver.url, false, '{}', {});
      expect(byAddress).toMatchObject({ statusCode: null, error: expect.stringMatching(/not a public address/) });
      const byName = await sender.send(receiver.url.replace('127.0.0.1', 'localhost'), false, '{}', {});
      expect(byName.statusCode).toBeNull();
      expect(byName.error).toMatch(/request failed/);
      const byCompatible = await sender.send(receiver.url.replace('127.0.0.1', '[::127.0.0.1]'), false, '{}', {});
      expect(byCompatible).toMatchObject({ statusCode: null, error: expect.stringMatching(/not a public address/) });
      expect(receiver.received).toHaveLength(0);

      const allowed = await sender.send(receiver.url, true, '{}', {});
      expect(allowed).toMatchObject({ statusCode: 204, error: null });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });

  it('does not follow redirects: a 3xx is the answer, and counts as a failure upstream', async () => {
    const receiver = await WebhookReceiver.start();
    receiver.respond = (n) => (n === 0 ? { status: 307, headers: { location: 'http://169.254.169.254/' } } : 204);
    const sender = new WebhookSender({ timeoutMs: 1_000 });
    try {
      expect(await sender.send(receiver.url, true, '{}', {})).toMatchObject({ statusCode: 307 });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await Promise.all([sender.close(), receiver.close()]);
    }
  });
});
