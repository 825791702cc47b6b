/**
 * Who may open the WebSocket from a browser. The Origin is compared with addresses this server knows
 * to be its own (never with the request's Host header, which a DNS-rebinding page controls): the
 * configured PUBLIC_URL, ALLOWED_ORIGINS, and this machine's names and addresses on its own ports.
 * Loopback names are allowed on any port (the Vite dev server proxies from localhost:5173); a
 * rebinding page always has a name of its own, never a loopback one.
 */
export interface OriginPolicyOptions {
  /** Full origins allowed as they are (PUBLIC_URL's origin, ALLOWED_ORIGINS). */
  origins: readonly string[];
  /** This machine's host names and addresses (LAN addresses, the bound HOST), read per check. */
  hosts(): readonly string[];
  /** The ports the server listens on. */
  ports(): readonly number[];
}

export function createOriginPolicy(options: OriginPolicyOptions): (origin: string | undefined) => boolean {
  const exact = new Set(options.origins.map(originOf).filter((o): o is string => o !== undefined));
  return (origin) => {
    // Browsers always send Origin on an upgrade; tools that are not browsers send none.
    if (origin === undefined) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (exact.has(url.origin)) return true;
    if (isLoopbackHost(url.hostname)) return true;
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    return options.ports().includes(port) && options.hosts().some((h) => sameHost(h, url.hostname));
  };
}

/** localhost, *.localhost, 127.0.0.0/8, [::1]: names that always mean this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '[::1]' || h === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function sameHost(own: string, hostname: string): boolean {
  const bare = (h: string) => h.toLowerCase().replace(/^\[|\]$/g, '');
  return bare(own) === bare(hostname);
}

function originOf(text: string): string | undefined {
  try {
    return new URL(text).origin;
  } catch {
    return undefined;
  }
}
