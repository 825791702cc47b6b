import { afterEach, describe, expect, it, vi } from 'vitest';
import { TypedEmitter } from './TypedEmitter.js';

interface Events {
  count: number;
  name: string;
}

afterEach(() => vi.restoreAllMocks());

describe('TypedEmitter', () => {
  it('delivers a payload to every listener of that event, in subscription order', () => {
    const emitter = new TypedEmitter<Events>();
    const heard: string[] = [];
    emitter.on('count', (n) => heard.push(`a${n}`));
    emitter.on('count', (n) => heard.push(`b${n}`));
    emitter.on('name', (s) => heard.push(s));
    emitter.emit('count', 1);
    expect(heard).toEqual(['a1', 'b1']);
  });

  it('stops delivering to a listener after the function returned by on() is called', () => {
    const emitter = new TypedEmitter<Events>();
    const listener = vi.fn();
    const off = emitter.on('count', listener);
    off();
    emitter.emit('count', 1);
    expect(listener).not.toHaveBeenCalled();
  });

  it('keeps delivering to the other listeners when one throws, and reports the exception', () => {
    const emitter = new TypedEmitter<Events>();
    const report = vi.spyOn(console, 'error').mockImplementation(() => {});
    const after = vi.fn();
    emitter.on('count', () => {
      throw new Error('boom');
    });
    emitter.on('count', after);
    expect(() => emitter.emit('count', 2)).not.toThrow();
    expect(after).toHaveBeenCalledWith(2);
    expect(report).toHaveBeenCalledOnce();
  });

  it('lets a listener unsubscribe itself while the event is being delivered', () => {
    const emitter = new TypedEmitter<Events>();
    const second = vi.fn();
    const off = emitter.on('count', () => off());
    emitter.on('count', second);
    emitter.emit('count', 1);
    emitter.emit('count', 2);
    expect(second).toHaveBeenCalledTimes(2);
  });
});
