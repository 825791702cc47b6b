import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../testing/fakes.js';
import { type KeyValueStore, PlaceStore } from './PlaceStore.js';

const PLACE = { code: 'K7Q4MZ', peerId: 'pAbc', token: 'secret', name: 'Ana' };

describe('PlaceStore', () => {
  it('keeps the place in session storage and gives it back', () => {
    const session = new MemoryStore();
    new PlaceStore(session, new MemoryStore()).savePlace(PLACE);
    expect(new PlaceStore(session, null).loadPlace()).toEqual(PLACE);
  });

  it('has no place when nothing was stored, and none after clearPlace', () => {
    const store = new PlaceStore(new MemoryStore(), null);
    expect(store.loadPlace()).toBeNull();
    store.savePlace(PLACE);
    store.clearPlace();
    expect(store.loadPlace()).toBeNull();
  });

  it('throws away a stored place that is not valid JSON or not a valid place', () => {
    const session = new MemoryStore();
    const store = new PlaceStore(session, null);
    session.setItem('jamsesh.place', '{oops');
    expect(store.loadPlace()).toBeNull();
    expect(session.data.size).toBe(0);
    session.setItem('jamsesh.place', JSON.stringify({ ...PLACE, code: 'k7q 4mz' }));
    expect(store.loadPlace()).toBeNull();
  });

  it('remembers the name in local storage, cut to the name limit', () => {
    const local = new MemoryStore();
    new PlaceStore(null, local).saveName('Ana');
    expect(new PlaceStore(null, local).loadName()).toBe('Ana');
    local.setItem('jamsesh.name', 'x'.repeat(100));
    expect(new PlaceStore(null, local).loadName()).toHaveLength(32);
  });

  it('works without storage, or with storage that throws, remembering nothing', () => {
    const broken: KeyValueStore = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    for (const store of [new PlaceStore(null, null), new PlaceStore(broken, broken)]) {
      expect(() => store.savePlace(PLACE)).not.toThrow();
      expect(store.loadPlace()).toBeNull();
      expect(() => store.clearPlace()).not.toThrow();
      expect(store.loadName()).toBe('');
    }
  });
});
