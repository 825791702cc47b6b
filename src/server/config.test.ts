import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const SERVER_DIR = path.resolve('/srv/jamsesh/dist/node/server');
/** A TURN secret as `openssl rand -base64 32` makes one. */
const SECRET = 'q1dTRt3wXSvn8Hkq1HCN2n0CJ2fQ6E0qTbG7pZr3k8A=';

function load(env: Record<string, string>) {
  return loadConfig(env, SERVER_DIR);
}

describe('loadConfig', () => {
  describe('defaults', () => {
    it('gives what a person running npm start on a laptop wants', () => {
      expect(load({})).toEqual({
        host: '0.0.0.0',
        httpPort: 8080,
        httpsPort: 8443,
        dataDir: path.resolve('data'),
        tlsCert: undefined,
        tlsKey: undefined,
        staticDir: path.resolve('/srv/jamsesh/dist/client'),
        allowedOrigins: [],
        trustProxy: { kind: 'off' },
        stunUrls: [],
        turnUrls: [],
        turnSecret: undefined,
        turnTtlSeconds: 3600,
        maxRooms: 1000,
        maxMembers: 16,
        maxConnections: 5000,
        maxConnectionsPerAddress: 50,
        maxRoomsPerAddress: 20,
        createBurst: 30,
        createLeakMs: 10_000,
        idleSocketMs: 60_000,
        roomIdleMs: 6 * 3600_000,
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        hostGraceMs: 60_000,
        listenerGraceMs: 30_000,
        joinBurst: 10,
        joinLeakMs: 30_000,
        logLevel: 'info',
        publicUrl: undefined,
      });
    });

    it('treats an empty number as unset', () => {
      expect(load({ HTTP_PORT: '', MAX_ROOMS: '' })).toMatchObject({ httpPort: 8080, maxRooms: 1000 });
    });

    it('ignores environment variables it does not know', () => {
      expect(() => load({ PATH: '/usr/bin', HOME: '/root' })).not.toThrow();
    });
  });

  describe('values', () => {
    it('reads every setting from its variable', () => {
      const config = load({
        HOST: '127.0.0.1',
        HTTP_PORT: '80',
        HTTPS_PORT: '443',
        DATA_DIR: '/var/lib/jamsesh',
        TLS_CERT: '/etc/tls/cert.pem',
        TLS_KEY: '/etc/tls/key.pem',
        STATIC_DIR: '/srv/www',
        TURN_TTL: '600',
        MAX_ROOMS: '5',
        MAX_MEMBERS: '4',
        MAX_CONNECTIONS: '50',
        HOST_GRACE_MS: '0',
        LISTENER_GRACE_MS: '1000',
        JOIN_BURST: '3',
        JOIN_LEAK_MS: '500',
        LOG_LEVEL: 'silent',
        PUBLIC_URL: 'https://jam.example.org/',
      });
      expect(config).toMatchObject({
        host: '127.0.0.1',
        httpPort: 80,
        httpsPort: 443,
        dataDir: '/var/lib/jamsesh',
        tlsCert: '/etc/tls/cert.pem',
        tlsKey: '/etc/tls/key.pem',
        staticDir: '/srv/www',
        turnTtlSeconds: 600,
        maxRooms: 5,
        maxMembers: 4,
        maxConnections: 50,
        hostGraceMs: 0,
        listenerGraceMs: 1000,
        joinBurst: 3,
        joinLeakMs: 500,
        logLevel: 'silent',
        publicUrl: 'https://jam.example.org/',
      });
    });

    it('turns a port of "off" into no listener at all', () => {
      expect(load({ HTTP_PORT: 'off', HTTPS_PORT: 'off' })).toMatchObject({
        httpPort: null,
        httpsPort: null,
      });
    });

    it('keeps a port of 0, which asks the system for a free port', () => {
      expect(load({ HTTP_PORT: '0', HTTPS_PORT: '0' })).toMatchObject({ httpPort: 0, httpsPort: 0 });
    });

    it('accepts the highest port', () => {
      expect(load({ HTTPS_PORT: '65535' }).httpsPort).toBe(65535);
    });

    it('splits comma-separated lists, trimming entries and dropping empty ones', () => {
      const config = load({
        ALLOWED_ORIGINS: ' https://a.example , ,https://b.example,',
        STUN_URLS: 'stun:stun.example.org:3478',
        TURN_URLS: 'turn:t.example.org:3478?transport=udp, turns:t.example.org:5349',
        TURN_SECRET: SECRET,
      });
      expect(config.allowedOrigins).toEqual(['https://a.example', 'https://b.example']);
      expect(config.stunUrls).toEqual(['stun:stun.example.org:3478']);
      expect(config.turnUrls).toEqual(['turn:t.example.org:3478?transport=udp', 'turns:t.example.org:5349']);
      expect(config.turnSecret).toBe(SECRET);
    });

    it.each([
      ['1', { kind: 'hops', hops: 1 }],
      ['true', { kind: 'hops', hops: 1 }],
      ['yes', { kind: 'hops', hops: 1 }],
      ['2', { kind: 'hops', hops: 2 }],
      ['0', { kind: 'off' }],
      ['no', { kind: 'off' }],
      ['', { kind: 'off' }],
    ])('reads TRUST_PROXY=%j as %j', (value, expected) => {
      expect(load({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
    });

    it('reads TRUST_PROXY as a list of proxy addresses and ranges', () => {
      const trust = load({ TRUST_PROXY: '127.0.0.1,10.0.0.0/8' }).trustProxy;
      expect(trust.kind === 'trusted' && trust.ranges.map((r) => r.bits)).toEqual([32, 8]);
    });

    it('reads the per-address quotas and timeouts', () => {
      const config = load({
        MAX_CONNECTIONS_PER_ADDRESS: '7',
        MAX_ROOMS_PER_ADDRESS: '2',
        CREATE_BURST: '3',
        CREATE_LEAK_MS: '1000',
        IDLE_SOCKET_MS: '5000',
        ROOM_IDLE_MS: '60000',
        HEADERS_TIMEOUT_MS: '2000',
        REQUEST_TIMEOUT_MS: '4000',
      });
      expect(config).toMatchObject({
        maxConnectionsPerAddress: 7,
        maxRoomsPerAddress: 2,
        createBurst: 3,
        createLeakMs: 1000,
        idleSocketMs: 5000,
        roomIdleMs: 60_000,
        headersTimeoutMs: 2000,
        requestTimeoutMs: 4000,
      });
    });

    it('resolves a relative DATA_DIR against the working directory', () => {
      expect(load({ DATA_DIR: 'state' }).dataDir).toBe(path.resolve('state'));
    });
  });

  describe('bad values', () => {
    it('refuses a TRUST_PROXY that is neither a hop count nor addresses', () => {
      expect(() => load({ TRUST_PROXY: 'maybe' })).toThrow(/TRUST_PROXY: not a hop count.*maybe/);
    });

    it('refuses a headers timeout longer than the request timeout', () => {
      expect(() => load({ HEADERS_TIMEOUT_MS: '5000', REQUEST_TIMEOUT_MS: '4000' })).toThrow(
        /HEADERS_TIMEOUT_MS must not be above REQUEST_TIMEOUT_MS/,
      );
    });

    it.each(['MAX_CONNECTIONS_PER_ADDRESS', 'MAX_ROOMS_PER_ADDRESS', 'CREATE_BURST'])(
      'refuses %s=0',
      (name) => {
        expect(() => load({ [name]: '0' })).toThrow(new RegExp(`${name}: not an integer >= 1`));
      },
    );

    it.each(['abc', '-1', '65536', '80.5', 'on'])(
      'refuses HTTP_PORT=%j, naming the variable and the value',
      (value) => {
        expect(() => load({ HTTP_PORT: value })).toThrow(/Invalid configuration:\n {2}HTTP_PORT: not a port/);
        expect(() => load({ HTTP_PORT: value })).toThrow(value);
      },
    );

    it('refuses a bad HTTPS_PORT too', () => {
      expect(() => load({ HTTPS_PORT: 'x' })).toThrow(/HTTPS_PORT: not a port: x/);
    });

    it.each([
      ['MAX_MEMBERS', '1', 'not an integer >= 2: 1'],
      ['MAX_ROOMS', '0', 'not an integer >= 1: 0'],
      ['JOIN_BURST', 'ten', 'not an integer >= 1: ten'],
      ['JOIN_LEAK_MS', '0', 'not an integer >= 1: 0'],
      ['TURN_TTL', '4', 'not an integer >= 5: 4'],
      ['HOST_GRACE_MS', '-5', 'not an integer >= 0: -5'],
      ['LISTENER_GRACE_MS', '1.5', 'not an integer >= 0: 1.5'],
      ['MAX_CONNECTIONS', 'lots', 'not an integer >= 1: lots'],
    ])('refuses %s=%j with a message saying what is wanted', (name, value, message) => {
      expect(() => load({ [name]: value })).toThrow(`${name}: ${message}`);
    });

    it('refuses an unknown LOG_LEVEL', () => {
      expect(() => load({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    });

    it('refuses a PUBLIC_URL that is not a URL', () => {
      expect(() => load({ PUBLIC_URL: 'jam dot example' })).toThrow(/PUBLIC_URL/);
    });

    it('lists every bad variable at once', () => {
      let message = '';
      try {
        load({ HTTP_PORT: 'x', MAX_ROOMS: 'y' });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain('HTTP_PORT');
      expect(message).toContain('MAX_ROOMS');
    });

    it('refuses TLS_CERT without TLS_KEY, and the other way round', () => {
      expect(() => load({ TLS_CERT: '/etc/tls/cert.pem' })).toThrow(
        'TLS_CERT and TLS_KEY must be given together',
      );
      expect(() => load({ TLS_KEY: '/etc/tls/key.pem' })).toThrow(
        'TLS_CERT and TLS_KEY must be given together',
      );
    });

    it('refuses TURN_URLS without TURN_SECRET, since it could not mint credentials', () => {
      expect(() => load({ TURN_URLS: 'turn:t.example.org:3478' })).toThrow('TURN_URLS needs TURN_SECRET');
      expect(() => load({ TURN_URLS: 'turn:t.example.org:3478', TURN_SECRET: '' })).toThrow(
        'TURN_URLS needs TURN_SECRET',
      );
    });

    it('accepts TURN_SECRET alone (no TURN servers to hand out yet)', () => {
      expect(load({ TURN_SECRET: SECRET })).toMatchObject({ turnUrls: [], turnSecret: SECRET });
    });

    it("refuses the sample coturn.conf's placeholder as TURN_SECRET, saying how to make a real one", () => {
      const placeholder = 'CHANGE-ME-to-the-same-value-as-TURN_SECRET';
      const env = { TURN_URLS: 'turn:t.example.org:3478', TURN_SECRET: placeholder };
      expect(() => load(env)).toThrow(/TURN_SECRET: is the placeholder from the sample coturn.conf/);
      expect(() => load(env)).toThrow('openssl rand -base64 32');
      expect(() => load({ TURN_SECRET: `${placeholder.toLowerCase()}-and-then-some` })).toThrow(
        /TURN_SECRET: is the placeholder/,
      );
    });

    it('refuses a TURN_SECRET shorter than 32 characters, and takes one of exactly 32', () => {
      const env = (secret: string) => ({ TURN_URLS: 'turn:t.example.org:3478', TURN_SECRET: secret });
      expect(() => load(env('s3cret'))).toThrow('TURN_SECRET: is 6 characters, fewer than 32');
      expect(() => load(env('x'.repeat(31)))).toThrow('openssl rand -base64 32');
      expect(load(env('x'.repeat(32))).turnSecret).toBe('x'.repeat(32));
    });

    it('takes the secrets the test servers are given (24 random bytes, base64url: 32 characters)', () => {
      const secret = randomBytes(24).toString('base64url');
      expect(secret).toHaveLength(32);
      expect(load({ TURN_URLS: 'turn:t.example.org:3478', TURN_SECRET: secret }).turnSecret).toBe(secret);
    });

    it('takes a secret made as the message says (openssl rand -base64 32: 44 characters)', () => {
      const secret = randomBytes(32).toString('base64');
      expect(load({ TURN_URLS: 'turn:t.example.org:3478', TURN_SECRET: secret }).turnSecret).toBe(secret);
    });

    it('takes a TURN_TTL of 5 s, short enough for a test to see a credential expire', () => {
      expect(load({ TURN_TTL: '5' }).turnTtlSeconds).toBe(5);
    });
  });
});
