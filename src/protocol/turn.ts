/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest-00), the scheme coturn checks with
 * `use-auth-secret`: username = "<unix expiry>:<id>", password = base64(HMAC-SHA1(secret, username)).
 * The minting lives in the server (src/server/turn.ts); this helper only reads a username back.
 */
export function turnUsernameExpiry(username: string): number | null {
  const head = username.split(':', 1)[0] ?? '';
  if (!/^\d+$/.test(head)) return null;
  return Number(head);
}
