/** Ownership helpers for the byte buffers that stream through sealing, uploads and reads. */

/** True when `view` spans its whole ArrayBuffer: only such buffers are transferred, recycled or freed. */
export function ownsWholeBuffer (view: Uint8Array): boolean {
  return view.byteOffset === 0 && view.buffer.byteLength === view.byteLength
}

/**
 * Gives a buffer's memory back now rather than at V8's next full collection: detaching an
 * ArrayBuffer (a transfer to length 0) frees its backing store. Memory outside the heap otherwise
 * piles up between collections, up to V8's external-memory step (64 MiB) per thread. For a view
 * over its whole buffer that nothing else holds (anything else is left alone); it reads as empty
 * afterwards.
 */
export function freeNow (view: Uint8Array): void {
  if (ownsWholeBuffer(view) && view.buffer instanceof ArrayBuffer && view.byteLength > 0) view.buffer.transfer(0)
}
