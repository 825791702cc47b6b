import { describe, expect, it } from 'vitest';
import { createOriginPolicy, isLoopbackHost } from './originPolicy.js';

const allowed = createOriginPolicy({
  origins: ['https://jam.example.com', 'https://friend.example:9000/ignored-path'],
  hosts: () => ['localhost', '127.0.0.1', '[::1]', '192.168.1.20', '0.0.0.0'],
  ports: () => [8080, 8443],
});

describe('the WebSocket origin check', () => {
  it('allows clients that send no Origin (not browsers)', () => {
    expect(allowed(undefined)).toBe(true);
  });

  it('allows PUBLIC_URL and ALLOWED_ORIGINS exactly', () => {
    expect(allowed('https://jam.example.com')).toBe(true);
    expect(allowed('https://friend.example:9000')).toBe(true);
    expect(allowed('http://jam.example.com')).toBe(false);
    expect(allowed('https://jam.example.com:8443')).toBe(false);
  });

  it("allows this machine's own addresses on its own ports", () => {
    expect(allowed('https://192.168.1.20:8443')).toBe(true);
    expect(allowed('http://192.168.1.20:8080')).toBe(true);
    expect(allowed('https://192.168.1.20:9999')).toBe(false);
  });

  it('allows loopback names on any port (the dev server proxies from localhost:5173)', () => {
    expect(allowed('http://localhost:5173')).toBe(true);
    expect(allowed('http://127.0.0.1:3000')).toBe(true);
    expect(allowed('http://[::1]:5173')).toBe(true);
  });

  it('refuses a DNS-rebinding page: its name points here, but it is not a name of ours', () => {
    // The page at http://rebind.attacker.example:8080 resolves to 192.168.1.20 and sends Host accordingly.
    expect(allowed('http://rebind.attacker.example:8080')).toBe(false);
  });

  it('refuses garbage and opaque origins', () => {
    expect(allowed('null')).toBe(false);
    expect(allowed('http://[')).toBe(false);
    expect(allowed('file://')).toBe(false);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['a.b.localhost', true],
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['[::1]', true],
    ['localhost.attacker.example', false],
    ['128.0.0.1', false],
    ['192.168.1.20', false],
  ])('%s -> %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });
});
