import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import selfsigned from 'selfsigned';
import type { Logger } from './logger.js';

export interface TlsPair {
  cert: string;
  key: string;
  /** True when the pair is our own self-signed one (browsers will warn once per device). */
  selfSigned: boolean;
}

/**
 * The certificate for HTTPS: the configured files, or else a self-signed pair kept in
 * DATA_DIR/tls. It is remade when it expires soon or when it does not name one of `hosts`
 * (the machine's LAN address changed), so phones see a certificate for the address they open.
 */
export async function loadOrCreateTls(
  opts: { certFile?: string | undefined; keyFile?: string | undefined; dataDir: string; hosts: string[] },
  log: Logger,
): Promise<TlsPair> {
  if (opts.certFile && opts.keyFile) {
    const [cert, key] = await Promise.all([readFile(opts.certFile, 'utf8'), readFile(opts.keyFile, 'utf8')]);
    return { cert, key, selfSigned: false };
  }
  const dir = path.join(opts.dataDir, 'tls');
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    if (coversHosts(cert, opts.hosts)) return { cert, key, selfSigned: true };
    log.info('regenerating self-signed certificate for new addresses', { hosts: opts.hosts });
  } catch {
    log.info('creating a self-signed certificate', { dir });
  }
  const now = new Date();
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'JamSesh (self-signed)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 365 * 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: opts.hosts.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 7, ip: h } : { type: 2, value: h })),
      },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert);
  return { cert: pems.cert, key: pems.private, selfSigned: true };
}

function coversHosts(certPem: string, hosts: string[]): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (new Date(cert.validTo).getTime() - Date.now() < 7 * 24 * 3600_000) return false;
    const san = cert.subjectAltName ?? '';
    return hosts.every((h) => san.includes(`DNS:${h}`) || san.includes(`IP Address:${h}`));
  } catch {
    return false;
  }
}
