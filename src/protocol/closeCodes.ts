/**
 * WebSocket close codes of our own (4000-4999 are for applications). The client acts on them:
 * it does not reconnect in a loop after any of these.
 */
export const CLOSE_CODES = {
  /** Sent by the client to itself: a ping went unanswered (reconnects at once). */
  noPong: 4000,
  /** The socket joined no room within IDLE_SOCKET_MS: reconnect when the person next needs the server. */
  idle: 4001,
  /**
   * The page was opened over plain http at an address that is not this machine's loopback, where the
   * browser gives it no secure context; the reason is `open https://host:port instead`. Do not reconnect.
   */
  useHttps: 4002,
} as const;
