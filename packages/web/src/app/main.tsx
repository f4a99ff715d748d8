import { createRoot } from 'react-dom/client'
import { pageFor } from './App.tsx'
import './styles.css'

// Marks for profiling time to first frame (DevTools performance panel, the TTFF bench).
performance.mark('p2pdv:script')
const root = document.getElementById('root')
if (root !== null) {
  const Page = await pageFor(window.location.pathname)
  createRoot(root).render(<Page />)
}
