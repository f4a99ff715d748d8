import { createRoot } from 'react-dom/client'
import { pageFor } from './App.tsx'
import { initLocale } from './i18n/index.ts'
import './styles.css'

// Marks for profiling time to first frame (DevTools performance panel, the TTFF bench).
performance.mark('p2pdv:script')
const root = document.getElementById('root')
if (root !== null) {
  // The page's chunk and a non-English catalog load side by side (both dynamic imports).
  const [Page] = await Promise.all([pageFor(window.location.pathname), initLocale()])
  createRoot(root).render(<Page />)
}
