/**
 * What the studio server (packages/cli/src/studio) sends the studio page: one definition for
 * both ends, so a field added on one side is a type error on the other until both handle it.
 */

/** An error as the studio API reports it (stable code, what happened, what to do). */
export interface StudioError { code: string, message: string, hint?: string }

/** A finished upload: where it is stored and where to watch it. */
export interface UploadOutcome {
  title: string
  manifestCid: string
  watchUrl: string
  videoId?: string
  videoLink?: string
  videoWatchUrl?: string
  listingCid?: string
  durationSeconds?: number
}

/** One server-sent event of an upload job. */
export type UploadEvent =
  | { type: 'progress', stage: string, percent?: number, detail?: string }
  | { type: 'note', text: string }
  | { type: 'done', result: UploadOutcome }
  | { type: 'error', error: StudioError }
