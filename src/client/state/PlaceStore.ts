import { z } from 'zod';
import { LIMITS, normalizeRoomCode, PeerId } from '../../protocol/index.js';

/** The part of the Web Storage API we use; `Storage` fits, tests pass a Map-backed one. */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What it takes to get one's place back in a jam after a reload. */
export interface StoredPlace {
  code: string;
  peerId: string;
  token: string;
  name: string;
}

const StoredPlaceSchema = z.object({
  code: z.string().refine((c) => normalizeRoomCode(c) === c),
  peerId: PeerId,
  token: z.string().min(1).max(LIMITS.tokenMaxLength),
  name: z.string().max(LIMITS.nameMaxLength * 4),
});

const PLACE_KEY = 'jamsesh.place';
const NAME_KEY = 'jamsesh.name';

/**
 * Where the app keeps what must survive a reload. The place lives in sessionStorage: it belongs to
 * one tab, so two tabs are two people (a duplicated tab copies it, and the server then tells the
 * older tab it was `replaced`). The name lives in localStorage, to be offered again next time.
 * Storage can be missing or throw (private modes, quotas); then nothing is remembered.
 */
export class PlaceStore {
  constructor(
    readonly session: KeyValueStore | null,
    readonly local: KeyValueStore | null,
  ) {}

  loadPlace(): StoredPlace | null {
    const raw = read(this.session, PLACE_KEY);
    if (raw === null) return null;
    try {
      const parsed = StoredPlaceSchema.safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
    } catch {
      // Not JSON: written by something else; forget it below.
    }
    this.clearPlace();
    return null;
  }

  savePlace(place: StoredPlace): void {
    write(this.session, PLACE_KEY, JSON.stringify(place));
  }

  clearPlace(): void {
    try {
      this.session?.removeItem(PLACE_KEY);
    } catch {
      // Nothing to do: storage is unavailable.
    }
  }

  loadName(): string {
    return (read(this.local, NAME_KEY) ?? '').slice(0, LIMITS.nameMaxLength);
  }

  saveName(name: string): void {
    write(this.local, NAME_KEY, name);
  }
}

function read(store: KeyValueStore | null, key: string): string | null {
  try {
    return store?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

function write(store: KeyValueStore | null, key: string, value: string): void {
  try {
    store?.setItem(key, value);
  } catch {
    // Quota or privacy mode: the app works, it just will not remember.
  }
}

/** A browser storage, or null where touching it throws (some privacy settings do). */
export function browserStore(which: 'sessionStorage' | 'localStorage'): KeyValueStore | null {
  try {
    const store = window[which];
    store.getItem(PLACE_KEY);
    return store;
  } catch {
    return null;
  }
}
