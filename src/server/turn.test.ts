import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { turnUsernameExpiry } from '../protocol/index.js';
import { type IceConfig, iceServersFor, mintTurnCredential } from './turn.js';

const NOW = 1_700_000_000_500; // ms; 1_700_000_000 s and a half
const SECRET = 'north-wind';

describe('mintTurnCredential', () => {
  it('names the credential "<unix expiry>:<id>", the expiry being now plus the TTL in seconds', () => {
    const { username } = mintTurnCredential(SECRET, 'alice', 3600, NOW);
    expect(username).toBe('1700003600:alice');
  });

  it('rounds the current time down to whole seconds before adding the TTL', () => {
    expect(mintTurnCredential(SECRET, 'a', 60, 1_700_000_000_999).username).toBe('1700000060:a');
    expect(mintTurnCredential(SECRET, 'a', 60, 1_700_000_001_000).username).toBe('1700000061:a');
  });

  it('signs the username as coturn checks it: base64(HMAC-SHA1(secret, username))', () => {
    const { username, credential } = mintTurnCredential(SECRET, 'pXy9', 600, NOW);
    const expected = createHmac('sha1', SECRET).update(username).digest('base64');
    expect(credential).toBe(expected);
    expect(Buffer.from(credential, 'base64')).toHaveLength(20);
  });

  it('matches a known vector computed outside Node', () => {
    // printf '%s' '1700003600:alice' | openssl dgst -sha1 -hmac 'north-wind' -binary | base64
    expect(mintTurnCredential(SECRET, 'alice', 3600, NOW)).toEqual({
      username: '1700003600:alice',
      credential: 'iRtTIZ3N38dm9S+dP+UkHfnN9Qo=',
    });
  });

  it('gives a different credential for another secret, id or expiry', () => {
    const base = mintTurnCredential(SECRET, 'alice', 3600, NOW).credential;
    expect(mintTurnCredential('other', 'alice', 3600, NOW).credential).not.toBe(base);
    expect(mintTurnCredential(SECRET, 'bob', 3600, NOW).credential).not.toBe(base);
    expect(mintTurnCredential(SECRET, 'alice', 3601, NOW).credential).not.toBe(base);
  });

  it('puts an expiry in the username that the protocol helper reads back', () => {
    const { username } = mintTurnCredential(SECRET, 'alice', 3600, NOW);
    expect(turnUsernameExpiry(username)).toBe(Math.floor(NOW / 1000) + 3600);
  });
});

describe('iceServersFor', () => {
  const none: IceConfig = { stunUrls: [], turnUrls: [], turnSecret: undefined, turnTtlSeconds: 3600 };
  const stun = ['stun:stun.example.org:3478'];
  const turn = ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'];

  it('gives nothing when neither STUN nor TURN is configured (a LAN needs neither)', () => {
    expect(iceServersFor(none, 'pA', NOW)).toEqual([]);
  });

  it('gives only STUN when only STUN is configured', () => {
    expect(iceServersFor({ ...none, stunUrls: stun }, 'pA', NOW)).toEqual([{ urls: stun }]);
  });

  it('gives STUN and TURN with a credential minted for this peer', () => {
    const config: IceConfig = {
      ...none,
      stunUrls: stun,
      turnUrls: turn,
      turnSecret: SECRET,
      turnTtlSeconds: 600,
    };
    expect(iceServersFor(config, 'pA', NOW)).toEqual([
      { urls: stun },
      { urls: turn, ...mintTurnCredential(SECRET, 'pA', 600, NOW) },
    ]);
  });

  it('gives TURN alone when only TURN is configured', () => {
    const servers = iceServersFor({ ...none, turnUrls: turn, turnSecret: SECRET }, 'pA', NOW);
    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ urls: turn, username: `${Math.floor(NOW / 1000) + 3600}:pA` });
  });

  it('leaves TURN out when there is no secret to sign credentials with', () => {
    expect(iceServersFor({ ...none, stunUrls: stun, turnUrls: turn }, 'pA', NOW)).toEqual([{ urls: stun }]);
    expect(iceServersFor({ ...none, turnUrls: turn, turnSecret: '' }, 'pA', NOW)).toEqual([]);
  });

  it('gives each peer its own credential', () => {
    const config: IceConfig = { ...none, turnUrls: turn, turnSecret: SECRET };
    const [a] = iceServersFor(config, 'pA', NOW);
    const [b] = iceServersFor(config, 'pB', NOW);
    expect(a?.username).not.toBe(b?.username);
    expect(a?.credential).not.toBe(b?.credential);
  });

  it('never puts the shared secret in what it gives the client', () => {
    const config: IceConfig = { stunUrls: stun, turnUrls: turn, turnSecret: SECRET, turnTtlSeconds: 3600 };
    const json = JSON.stringify(iceServersFor(config, 'pA', NOW));
    expect(json).not.toContain(SECRET);
    expect(json).not.toContain(Buffer.from(SECRET).toString('base64'));
  });
});
