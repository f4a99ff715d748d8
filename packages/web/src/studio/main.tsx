import { createRoot } from 'react-dom/client'
import { StudioApp } from './StudioApp.tsx'
import '../app/styles.css'
import './studio.css'

const root = document.getElementById('root')
if (root !== null) createRoot(root).render(<StudioApp />)
