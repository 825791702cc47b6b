import { describe, expect, it } from 'vitest';
import {
  addressKey,
  clientAddress,
  inRange,
  normalizeAddress,
  parseRange,
  parseTrustProxy,
} from './clientAddress.js';

describe('parseTrustProxy', () => {
  it.each([
    [undefined, { kind: 'off' }],
    ['', { kind: 'off' }],
    ['0', { kind: 'off' }],
    ['false', { kind: 'off' }],
    ['1', { kind: 'hops', hops: 1 }],
    ['true', { kind: 'hops', hops: 1 }],
    ['yes', { kind: 'hops', hops: 1 }],
    ['2', { kind: 'hops', hops: 2 }],
  ])('reads %j as %j', (value, expected) => {
    expect(parseTrustProxy(value)).toEqual(expected);
  });

  it('reads a list of proxy addresses and ranges', () => {
    const trust = parseTrustProxy('10.0.0.0/8, 192.0.2.1,fd00::/8');
    expect(trust.kind).toBe('trusted');
    if (trust.kind !== 'trusted') return;
    expect(trust.ranges.map((r) => r.bits)).toEqual([8, 32, 8]);
  });

  it.each(['maybe', '10.0.0.0/33', '10.0.0/8', '::1/129', '1.2.3.4/8/8'])('refuses %j', (value) => {
    expect(() => parseTrustProxy(value)).toThrow(/not a hop count/);
  });
});

describe('ranges', () => {
  it('matches addresses by their leading bits', () => {
    const ten = parseRange('10.0.0.0/8');
    const v6 = parseRange('2001:db8::/32');
    if (!ten || !v6) throw new Error('ranges did not parse');
    expect(inRange('10.200.3.4', ten)).toBe(true);
    expect(inRange('11.0.0.1', ten)).toBe(false);
    expect(inRange('::ffff:10.1.1.1', ten)).toBe(true);
    expect(inRange('2001:db8:ffff::1', v6)).toBe(true);
    expect(inRange('2001:db9::1', v6)).toBe(false);
    expect(inRange('10.0.0.1', v6)).toBe(false);
  });
});

describe('clientAddress', () => {
  const off = parseTrustProxy('');
  const oneHop = parseTrustProxy('1');
  const twoHops = parseTrustProxy('2');
  const lan = parseTrustProxy('127.0.0.1, 10.0.0.0/8');

  it('is the socket peer when no proxy is trusted, whatever the header says', () => {
    expect(clientAddress('::ffff:198.51.100.7', '203.0.113.1', off)).toBe('198.51.100.7');
  });

  it('takes the entry our one proxy appended (the rightmost), not what the client wrote before it', () => {
    expect(clientAddress('127.0.0.1', '1.1.1.1, 2.2.2.2, 198.51.100.7', oneHop)).toBe('198.51.100.7');
    expect(clientAddress('127.0.0.1', ['1.1.1.1', '198.51.100.7'], oneHop)).toBe('198.51.100.7');
  });

  it('counts hops from the right', () => {
    expect(clientAddress('127.0.0.1', 'forged, 198.51.100.7, 10.0.0.2', twoHops)).toBe('198.51.100.7');
  });

  it('falls back to the peer when the header has fewer entries than hops or none', () => {
    expect(clientAddress('127.0.0.1', '198.51.100.7', twoHops)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', undefined, oneHop)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', 'not-an-ip', oneHop)).toBe('127.0.0.1');
  });

  it('walks trusted proxies from the right and takes the first address that is not one', () => {
    expect(clientAddress('127.0.0.1', '6.6.6.6, 198.51.100.7, 10.1.2.3', lan)).toBe('198.51.100.7');
    // A client cannot pose as a proxy to get further left: its own address is the first untrusted.
    expect(clientAddress('127.0.0.1', '10.9.9.9, 6.6.6.6, 198.51.100.7', lan)).toBe('198.51.100.7');
  });

  it('ignores the header from a peer that is not a trusted proxy', () => {
    expect(clientAddress('198.51.100.7', '6.6.6.6', lan)).toBe('198.51.100.7');
  });

  it('stops at a garbled entry', () => {
    expect(clientAddress('127.0.0.1', '6.6.6.6, garbage, 10.0.0.5', lan)).toBe('10.0.0.5');
  });

  it('reads entries with ports and brackets', () => {
    expect(clientAddress('127.0.0.1', '198.51.100.7:4711', oneHop)).toBe('198.51.100.7');
    expect(clientAddress('127.0.0.1', '[2001:db8::7]:4711', oneHop)).toBe('2001:db8::7');
  });
});

describe('addressKey', () => {
  it('keeps IPv4 addresses whole and maps IPv4-in-IPv6 to IPv4', () => {
    expect(addressKey('198.51.100.7')).toBe('198.51.100.7');
    expect(addressKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
  });

  it('groups IPv6 addresses by /64', () => {
    const a = addressKey('2001:db8:1:2:aaaa::1');
    expect(a).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe(a);
    expect(addressKey('2001:db8:1:3::1')).not.toBe(a);
  });
});

describe('normalizeAddress', () => {
  it('writes addresses canonically', () => {
    expect(normalizeAddress('2001:0DB8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(normalizeAddress('::1')).toBe('::1');
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress('999.1.1.1')).toBeUndefined();
    expect(normalizeAddress('')).toBeUndefined();
  });
});
