/**
 * What this browser watched, kept in `localStorage` only (it never leaves the device): the
 * library's "History" and, later, private recommendations. Bounded and parsed defensively, since
 * any script of this origin (or a hand edit) may have written the entry.
 */
export const HISTORY_KEY = 'p2pdv.history'
export const MAX_HISTORY = 100

export interface HistoryEntry { id: string, title: string, at: number }

const VIDEO_ID = /^0x[0-9a-f]{64}$/

export function readHistory (storage: Pick<Storage, 'getItem'> = window.localStorage): HistoryEntry[] {
  try {
    const raw: unknown = JSON.parse(storage.getItem(HISTORY_KEY) ?? '[]')
    if (!Array.isArray(raw)) return []
    return raw.filter((e): e is HistoryEntry => typeof e === 'object' && e !== null &&
      typeof e.id === 'string' && VIDEO_ID.test(e.id) && typeof e.title === 'string' && typeof e.at === 'number')
      .slice(0, MAX_HISTORY)
      .map(e => ({ id: e.id, title: e.title.slice(0, 200), at: e.at }))
  } catch {
    return []
  }
}

/** Puts a video first (once), keeping at most MAX_HISTORY entries. */
export function recordWatch (entry: HistoryEntry, storage: Pick<Storage, 'getItem' | 'setItem'> = window.localStorage): void {
  if (!VIDEO_ID.test(entry.id)) return
  const rest = readHistory(storage).filter(e => e.id !== entry.id)
  storage.setItem(HISTORY_KEY, JSON.stringify([{ id: entry.id, title: entry.title.slice(0, 200), at: entry.at }, ...rest].slice(0, MAX_HISTORY)))
}

export function clearHistory (storage: Pick<Storage, 'removeItem'> = window.localStorage): void {
  storage.removeItem(HISTORY_KEY)
}
