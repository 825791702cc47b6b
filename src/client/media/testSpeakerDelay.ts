import type { Player } from './Player.js';

/** The delay each player's sound goes through on its way out (absent: none). */
const delays = new WeakMap<Player, DelayNode>();

/**
 * Test build only (testHooks.ts): makes this device's sound leave `ms` later than the browser
 * thinks, as a Bluetooth speaker or a TV's sound processing does. Nothing in the app sees it; only
 * a microphone (acoustic calibration) can. 0 takes it away.
 */
export function simulateSpeakerDelay(player: Player, ms: number): void {
  const { ctx, gain } = player;
  const old = delays.get(player);
  gain.disconnect(old ?? ctx.destination);
  old?.disconnect();
  delays.delete(player);
  if (ms <= 0) {
    gain.connect(ctx.destination);
    return;
  }
  const delay = ctx.createDelay(Math.max(1, ms / 1000));
  delay.delayTime.value = ms / 1000;
  gain.connect(delay);
  delay.connect(ctx.destination);
  delays.set(player, delay);
}
