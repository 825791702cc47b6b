import { randomBytes } from 'node:crypto';

/**
 * Random signaling frames for fuzzing: garbage bytes, truncated and mutated valid messages, wrong
 * types in every field. Seeded, so a failure replays the same frames.
 */
export function* fuzzFrames(count: number, seed = 12345): Generator<string> {
  const valid = [
    { type: 'create-room', name: 'Fuzz' },
    { type: 'join-room', code: 'ABCDEF', name: 'Fuzz' },
    { type: 'resume', code: 'ABCDEF', peerId: 'p1', token: 't' },
    { type: 'chat', text: 'hello' },
    { type: 'signal', to: 'p1', payload: { kind: 'candidate', candidate: null } },
    { type: 'kick', peerId: 'p1' },
    { type: 'close-room' },
    { type: 'leave-room' },
    { type: 'ping', t: 1 },
  ];
  const junk = [
    null,
    true,
    -1,
    1e308,
    '',
    'x'.repeat(300),
    [],
    {},
    { __proto__: { polluted: true } },
    '\u0000',
    'constructor',
  ];
  let state = seed;
  const rand = (n: number) => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
  for (let i = 0; i < count; i++) {
    const base = JSON.parse(JSON.stringify(valid[rand(valid.length)])) as Record<string, unknown>;
    switch (rand(6)) {
      case 0:
        yield randomBytes(1 + rand(200)).toString(rand(2) ? 'latin1' : 'base64');
        break;
      case 1: {
        const s = JSON.stringify(base);
        yield s.slice(0, rand(s.length));
        break;
      }
      case 2: {
        const keys = [...Object.keys(base), 'type', 'requestId', '__proto__', 'constructor'];
        base[keys[rand(keys.length)] as string] = junk[rand(junk.length)];
        yield JSON.stringify(base);
        break;
      }
      case 3:
        yield JSON.stringify({ ...base, type: base.type + String.fromCharCode(33 + rand(90)) });
        break;
      case 4:
        yield `{"type":"__proto__","constructor":{"prototype":{"x":1}},"t":${rand(1000)}}`;
        break;
      default:
        yield JSON.stringify(base);
    }
  }
}
