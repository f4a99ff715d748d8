/** `m:ss` or `h:mm:ss`. */
export function formatTime (seconds: number): string {
  const s = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}

/** Sizes in the active locale (i18n/index.ts). */
export { formatBytes } from './i18n/index.ts'
