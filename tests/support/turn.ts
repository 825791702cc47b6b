/**
 * A real coturn (Debian's `turnserver`) for the tests and the benchmark: on loopback, with the
 * same `use-auth-secret` scheme as production (docs/deploy.md), so the credentials the JamSesh server
 * mints are checked by the real relay.
 *
 * `--allow-loopback-peers` is needed because every peer here is on 127.0.0.1; it must never be used
 * in production (it would let clients relay into the server's own loopback services).
 */
export interface TurnTestConfig {
  port: number;
  secret: string;
  /** Relayed addresses come from this UDP port range. */
  minPort: number;
  maxPort: number;
  /** Where coturn may write its pid file and (unused) database. */
  dir: string;
}

/** coturn's arguments for a test relay. */
export function coturnArgs(c: TurnTestConfig): string[] {
  return [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${c.port}`,
    '--use-auth-secret',
    `--static-auth-secret=${c.secret}`,
    '--realm=jamsesh.test',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--allow-loopback-peers',
    '--fingerprint',
    `--min-port=${c.minPort}`,
    `--max-port=${c.maxPort}`,
    `--pidfile=${c.dir}/turnserver.pid`,
    `--db=${c.dir}/turndb`,
    '--log-file=stdout',
    '--simple-log',
  ];
}

/** The command line that runs coturn for tests; it stops by itself after `lifetimeSec`. */
export function coturnCommand(c: TurnTestConfig, lifetimeSec = 5400): string {
  const args = coturnArgs(c);
  // --foreground keeps it in the caller's process group, so the test runner's stop reaches it.
  return `exec timeout --foreground ${lifetimeSec} turnserver ${args.join(' ')}`;
}

/** The TURN URL a client is given for this server (UDP, as the tests' impairment relay carries). */
export function turnUrl(port: number): string {
  return `turn:127.0.0.1:${port}?transport=udp`;
}
