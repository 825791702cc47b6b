import { networkInterfaces } from 'node:os';

/** The machine's non-internal IPv4 addresses: what a phone on the same Wi-Fi can open. */
export function lanAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) out.push(a.address);
  }
  return out;
}
