import { describe, expect, it } from 'vitest';
import { hostnameOf, httpsTarget } from './httpsRedirect.js';

const https = { httpsPort: 8443, publicUrl: undefined, trustProxy: false };

describe('httpsTarget', () => {
  it('sends a LAN address to the same name on the HTTPS port', () => {
    expect(httpsTarget('192.168.1.20:8080', undefined, https)).toBe('https://192.168.1.20:8443');
    expect(httpsTarget('jambox.lan:8080', undefined, https)).toBe('https://jambox.lan:8443');
    expect(httpsTarget('[fd00::5]:8080', undefined, https)).toBe('https://[fd00::5]:8443');
    expect(httpsTarget('jam.example.com', undefined, { ...https, httpsPort: 443 })).toBe(
      'https://jam.example.com',
    );
  });

  it('sends everyone to PUBLIC_URL when it is set', () => {
    expect(
      httpsTarget('10.0.0.4:8080', undefined, { ...https, publicUrl: 'https://jam.example.com/x' }),
    ).toBe('https://jam.example.com');
  });

  it.each(['localhost:8080', 'LOCALHOST', 'app.localhost:8080', '127.0.0.1:8080', '127.8.9.1', '[::1]:8080'])(
    'keeps %s on http (a loopback name is a secure context)',
    (host) => {
      expect(httpsTarget(host, undefined, https)).toBeNull();
    },
  );

  it('never redirects when HTTPS is off (a TLS-terminating proxy in front)', () => {
    expect(httpsTarget('192.168.1.20:8080', undefined, { ...https, httpsPort: undefined })).toBeNull();
  });

  it('believes X-Forwarded-Proto: https from a trusted proxy only', () => {
    expect(httpsTarget('jam.example.com', 'https', { ...https, trustProxy: true })).toBeNull();
    expect(httpsTarget('jam.example.com', 'https, http', { ...https, trustProxy: true })).toBe(
      'https://jam.example.com:8443',
    );
    expect(httpsTarget('jam.example.com', 'https', https)).toBe('https://jam.example.com:8443');
  });

  it('serves requests without a usable Host header here', () => {
    expect(httpsTarget(undefined, undefined, https)).toBeNull();
    expect(httpsTarget('evil.example/path', undefined, https)).toBeNull();
    expect(httpsTarget('[', undefined, https)).toBeNull();
  });
});

describe('hostnameOf', () => {
  it('reads the name of a Host header', () => {
    expect(hostnameOf('Example.COM:8080')).toBe('example.com');
    expect(hostnameOf('user@example.com')).toBeNull();
    expect(hostnameOf('')).toBeNull();
  });
});
