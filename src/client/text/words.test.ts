import { describe, expect, it } from 'vitest';
import { describeError } from '../../protocol/index.js';
import { RequestError } from '../net/RequestError.js';
import { describeEnd, describeFailure, retryWords } from './words.js';

describe('describeEnd', () => {
  it('says why the jam ended, in the words listeners see', () => {
    expect(describeEnd('host-closed', false)).toBe('The host ended the jam.');
    expect(describeEnd('host-left', false)).toBe('The host left, so the jam has ended.');
    expect(describeEnd('host-timeout', false)).toBe("The host didn't come back, so the jam has ended.");
    expect(describeEnd('kicked', false)).toBe('The host removed you from the jam.');
    expect(describeEnd('replaced', false)).toBe('You opened this jam in another tab.');
    expect(describeEnd('server-shutdown', false)).toMatch(/server/);
  });

  it('speaks to the host as "you" when the host ended it', () => {
    expect(describeEnd('host-closed', true)).toBe('You ended the jam.');
  });

  it('explains a place that could not be taken back after a reload', () => {
    expect(describeEnd('gone', false)).toMatch(/jam has ended/);
    expect(describeEnd('expired', false)).toMatch(/Join again with the code/);
  });
});

describe('describeFailure', () => {
  it('uses the protocol words for a server error code', () => {
    const error = new RequestError('room-not-found', 'no open room has this code');
    expect(describeFailure(error)).toBe(describeError('room-not-found'));
    expect(describeFailure(new RequestError('name-taken', 'x'))).toMatch(/already uses that name/);
  });

  it('adds the wait in seconds when the server says when to try again', () => {
    const error = new RequestError('too-many-attempts', 'x', 12_300);
    expect(describeFailure(error)).toBe(`${describeError('too-many-attempts')} Try again in 13 seconds.`);
  });

  it('explains the failures that happen on this side', () => {
    expect(describeFailure(new RequestError('timeout', 'x'))).toMatch(/did not answer in time/);
    expect(describeFailure(new RequestError('disconnected', 'x'))).toMatch(/connection .* dropped/);
  });

  it('has a generic sentence for anything else', () => {
    expect(describeFailure(new Error('?'))).toBe('Something went wrong. Please try again.');
  });
});

describe('retryWords', () => {
  it('rounds up to whole seconds, at least one, singular for one', () => {
    expect(retryWords(1)).toBe('Try again in 1 second.');
    expect(retryWords(1001)).toBe('Try again in 2 seconds.');
  });
});
