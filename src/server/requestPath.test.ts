import { describe, expect, it } from 'vitest';
import { requestPath } from './requestPath.js';

describe('requestPath', () => {
  it.each([
    ['/ws', '/ws'],
    ['/ws?x=1', '/ws'],
    ['http://example.com/ws', '/ws'],
    [undefined, '/'],
  ])('%j -> %j', (target, path) => {
    expect(requestPath(target)).toBe(path);
  });

  it.each(['//[', '//[::1', 'http://[/ws'])('is null for %j, which is no URL', (target) => {
    expect(requestPath(target)).toBeNull();
  });
});
