import { createHmac } from 'node:crypto';
import type { IceServer } from '../protocol/index.js';

export interface IceConfig {
  stunUrls: string[];
  turnUrls: string[];
  /** coturn's `static-auth-secret`; never sent to a client. */
  turnSecret: string | undefined;
  /** Lifetime of minted TURN credentials, seconds. */
  turnTtlSeconds: number;
}

/**
 * A TURN credential in the TURN REST API scheme (draft-uberti-behave-turn-rest-00), which coturn's
 * `use-auth-secret` verifies: username "<unix expiry>:<id>", password base64(HMAC-SHA1(secret, username)).
 * It is valid only until the expiry in its name, so a leaked one is worth little.
 */
export function mintTurnCredential(
  secret: string,
  id: string,
  ttlSeconds: number,
  nowMs: number,
): { username: string; credential: string } {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${id}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/** The ICE server list one client gets: STUN as configured, TURN with its own fresh credential. */
export function iceServersFor(config: IceConfig, peerId: string, nowMs: number): IceServer[] {
  const servers: IceServer[] = [];
  if (config.stunUrls.length > 0) servers.push({ urls: config.stunUrls });
  if (config.turnUrls.length > 0 && config.turnSecret) {
    servers.push({
      urls: config.turnUrls,
      ...mintTurnCredential(config.turnSecret, peerId, config.turnTtlSeconds, nowMs),
    });
  }
  return servers;
}
