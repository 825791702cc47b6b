import type { Player } from './Player.js';
import probeUrl from './worklets/probe.worklet.ts?worker&url';

/**
 * Test build only (testHooks.ts): a click detector listening to `node`, a node of the player's
 * context (its volume, or the host's source before capture). A click comes as the local time (ms)
 * at which its sample leaves this device's output, or would leave it: for a node off the way to
 * the speaker, subtract player.renderLeadMs() to get when the audio thread produced it.
 */
export async function attachProbe(
  player: Player,
  node: AudioNode,
  onClick: (localMs: number, peak: number) => void,
): Promise<void> {
  const { ctx, outputClock } = player;
  await ctx.audioWorklet.addModule(probeUrl);
  const probe = new AudioWorkletNode(ctx, 'jamsesh-probe', { numberOfInputs: 1, numberOfOutputs: 0 });
  probe.port.onmessage = (e: MessageEvent<{ type: 'click'; frame: number; peak: number }>) => {
    if (outputClock.ready) onClick(outputClock.localTimeOf(e.data.frame / ctx.sampleRate), e.data.peak);
  };
  node.connect(probe);
}
