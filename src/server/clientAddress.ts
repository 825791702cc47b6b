import { isIP } from 'node:net';

/**
 * Which X-Forwarded-For entries to believe. `off`: none (the socket peer is the client). `hops`:
 * our own proxies append one entry each, so the Nth entry from the right is the address the
 * outermost of them saw. `trusted`: every entry from the right that is one of these proxies is
 * skipped, and the first one that is not is the client, provided the socket peer is itself trusted.
 */
export type TrustProxy =
  | { kind: 'off' }
  | { kind: 'hops'; hops: number }
  | { kind: 'trusted'; ranges: readonly Range[] };

/** An address range: `bits` leading bits of `bytes` (4 for IPv4, 16 for IPv6). */
export interface Range {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

/**
 * `TRUST_PROXY`: empty, `0`, `false`, `no`, `off` -> off; `1`, `true`, `yes` -> one hop; a whole number
 * -> that many hops; otherwise a comma list of proxy addresses or CIDR ranges. Throws on anything else.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false' || v === 'no' || v === 'off') return { kind: 'off' };
  if (v === 'true' || v === 'yes') return { kind: 'hops', hops: 1 };
  if (/^\d{1,2}$/.test(v)) return { kind: 'hops', hops: Number(v) };
  const ranges = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const range = parseRange(entry);
      if (!range) throw new Error(`not a hop count, an IP address or a CIDR range: ${entry}`);
      return range;
    });
  return { kind: 'trusted', ranges };
}

/** `203.0.113.7`, `10.0.0.0/8`, `::1`, `fd00::/8`; undefined if it is none of these. */
export function parseRange(text: string): Range | undefined {
  const [ip, prefix, ...rest] = text.split('/');
  if (rest.length > 0 || ip === undefined) return undefined;
  const bytes = ipBytes(ip);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  if (prefix === undefined) return { bytes, bits: max };
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return undefined;
  return { bytes, bits: Number(prefix) };
}

export function inRange(address: string, range: Range): boolean {
  const bytes = ipBytes(address);
  if (!bytes || bytes.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.bits; bit++) {
    const mask = 0x80 >> (bit % 8);
    if (((bytes[bit >> 3] as number) & mask) !== ((range.bytes[bit >> 3] as number) & mask)) return false;
  }
  return true;
}

/**
 * The client's address: the socket peer, or the entry of X-Forwarded-For (all its header lines, in
 * order) that `trust` says our own proxies wrote. Never an entry the client could have written.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trust: TrustProxy,
): string {
  const socketAddress = normalizeAddress(peer ?? '') ?? 'unknown';
  if (trust.kind === 'off') return socketAddress;
  const entries = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (trust.kind === 'hops') {
    // Fewer entries than hops: the request did not come through all our proxies; the peer is all we know.
    const entry = entries[entries.length - trust.hops];
    return (entry && normalizeAddress(entry)) ?? socketAddress;
  }
  const trusted = (a: string) => trust.ranges.some((r) => inRange(a, r));
  if (!trusted(socketAddress)) return socketAddress;
  let client = socketAddress;
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = normalizeAddress(entries[i] as string);
    // A garbled entry is where our proxies' record ends: the last good address stands.
    if (!entry) return client;
    client = entry;
    if (!trusted(entry)) return entry;
  }
  return client;
}

/**
 * The key every per-address limit counts under: an IPv4 address, or an IPv6 address's /64 (one
 * home or phone gets a whole /64, so single IPv6 addresses would give an attacker billions of keys).
 */
export function addressKey(address: string): string {
  const bytes = ipBytes(address);
  if (!bytes) return address;
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2)
    groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return `${groups.join(':')}::/64`;
}

/** An IP address in canonical text (IPv4-mapped IPv6 as plain IPv4, `[v6]:port` and ports dropped), or undefined. */
export function normalizeAddress(text: string): string | undefined {
  const bytes = ipBytes(text);
  if (!bytes) return undefined;
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  // The URL parser writes IPv6 in its canonical short form (RFC 5952).
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

/** The bytes of an IPv4 or IPv6 address (IPv4-mapped IPv6 gives 4 bytes), or undefined. */
function ipBytes(raw: string): Uint8Array | undefined {
  let text = raw.trim();
  // [v6]:port and [v6]
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1] as string;
  // v4:port
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const family = isIP(text);
  if (family === 4) return Uint8Array.from(text.split('.').map(Number));
  if (family !== 6) return undefined;
  let v4tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    v4tail = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = Number.parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  if (v4tail.length === 4) bytes.set(v4tail, 12);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}
