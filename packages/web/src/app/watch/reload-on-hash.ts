import { useEffect } from 'react'

/** A new key typed into the address bar changes only the fragment: open the video or stream afresh. */
export function useReloadOnHashChange (): void {
  useEffect(() => {
    const onHash = (): void => { window.location.reload() }
    window.addEventListener('hashchange', onHash)
    return () => { window.removeEventListener('hashchange', onHash) }
  }, [])
}
