import { isLoopbackHost } from './originPolicy.js';

export interface RedirectOptions {
  /** The HTTPS port, or undefined when HTTPS is off (a TLS-terminating proxy in front, or none). */
  httpsPort: number | undefined;
  /** PUBLIC_URL, if set: where people should go. */
  publicUrl: string | undefined;
  /** X-Forwarded-Proto is believed only when the proxy is trusted. */
  trustProxy: boolean;
}

/**
 * Where a plain-HTTP request should go instead, or null to serve it here. Browsers give a page at a
 * LAN address over http no secure context (no audio engine), so such requests go to HTTPS;
 * loopback names are secure contexts over http and keep working.
 */
export function httpsTarget(
  hostHeader: string | undefined,
  forwardedProto: string | string[] | undefined,
  options: RedirectOptions,
): string | null {
  if (options.httpsPort === undefined) return null;
  if (options.trustProxy) {
    // The proxy that appended last is ours: the last value is what it saw.
    const last = (Array.isArray(forwardedProto) ? forwardedProto.join(',') : (forwardedProto ?? ''))
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean)
      .at(-1);
    if (last === 'https') return null;
  }
  const hostname = hostnameOf(hostHeader);
  if (hostname === null || isLoopbackHost(hostname)) return null;
  if (options.publicUrl) return new URL(options.publicUrl).origin;
  const port = options.httpsPort === 443 ? '' : `:${options.httpsPort}`;
  return `https://${hostname}${port}`;
}

/** The host name of a Host header (`192.168.1.5:8080` -> `192.168.1.5`, `[fe80::1]:80` -> `[fe80::1]`), or null. */
export function hostnameOf(hostHeader: string | undefined): string | null {
  // Anything beyond host[:port] (a path, credentials) is not a Host header.
  if (!hostHeader || /[/\\@?#\s]/.test(hostHeader)) return null;
  try {
    return new URL(`http://${hostHeader}`).hostname || null;
  } catch {
    return null;
  }
}
