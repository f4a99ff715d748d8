// The app's message catalogs (src/app/i18n): every locale complete and consistent with English,
// t() with parameters and plurals, locale choice, locale-aware formats, and no hard-coded English
// left in the app's JSX.
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, it } from 'node:test'
import ts from 'typescript'
import { en } from '../src/app/i18n/en.ts'
import { fr } from '../src/app/i18n/fr.ts'
import { formatAgo, formatBytes, LOCALES, pickLocale, ratingLabel, t, activateLocale, type Catalog, type Message } from '../src/app/i18n/index.ts'
import { setStoredLanguage, storedLanguage, type Store } from '../src/app/settings/preferences.ts'
import { durationWords, groupDigits, refundWindowLabel, timeLeft } from '../src/app/discover/price-view.ts'
import { formatUnits } from '../src/app/discover/api.ts'

const CATALOGS: Record<keyof typeof LOCALES, Catalog> = { en, fr }

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map(m => m[1]!).sort()
const forms = (m: Message): Array<[string, string]> => typeof m === 'string' ? [['', m]] : Object.entries(m)

describe('message catalogs', () => {
  it('every locale has exactly the English keys, the same placeholders in each message, and no empty value', () => {
    assert.ok(Object.keys(en).length > 300, 'the English catalog is the app\'s whole text')
    for (const [locale, catalog] of Object.entries(CATALOGS)) {
      assert.deepEqual(Object.keys(catalog).sort(), Object.keys(en).sort(), `${locale}: keys`)
      for (const key of Object.keys(en) as Array<keyof typeof en>) {
        const want = en[key] as Message
        const got = catalog[key]
        // A plural message stays plural (with `other` and {count}); a plain one stays plain.
        assert.equal(typeof got, typeof want, `${locale} ${key}: plural or plain as in English`)
        const wanted = new Set(forms(want).flatMap(([, s]) => placeholders(s)))
        for (const [form, text] of forms(got)) {
          assert.ok(text.trim() !== '', `${locale} ${key}${form}: empty`)
          assert.deepEqual([...new Set(placeholders(text))].sort(), [...wanted].sort(), `${locale} ${key}${form}: placeholders`)
        }
        if (typeof got !== 'string') {
          assert.ok(got.other !== undefined, `${locale} ${key}: plural without other`)
          assert.ok(wanted.has('count'), `${key}: a plural message counts {count}`)
        }
      }
    }
  })

  it('French is actually French: most messages differ from English', () => {
    const same = (Object.keys(en) as Array<keyof typeof en>).filter(k => JSON.stringify(en[k]) === JSON.stringify(fr[k]))
    // Names, units and symbols stay the same (P2PDEVIDEO, Volume, {n} s …); sentences do not.
    assert.ok(same.length < Object.keys(en).length / 10, `untranslated: ${same.join(', ')}`)
    for (const k of same) assert.ok(!/[a-z]{3,} [a-z]{3,}/i.test(JSON.stringify(en[k])), `${k} reads as an English sentence`)
  })
})

describe('t()', () => {
  afterEach(() => { activateLocale('en', en) })

  it('fills parameters, picks plural forms by count and formats numbers for the locale', () => {
    assert.equal(t('topbar.nodesOnline', { count: 1 }), '1 node online')
    assert.equal(t('topbar.nodesOnline', { count: 3 }), '3 nodes online')
    assert.equal(t('search.count', { count: 1234 }), '1,234 videos')
    assert.equal(t('search.resultsFor', { q: 'cats {count}' }), 'Results for “cats {count}”')
    activateLocale('fr', fr)
    assert.equal(t('topbar.nodesOnline', { count: 1 }), '1 nœud en ligne')
    // French "one" covers 0 and 1.
    assert.equal(t('topbar.nodesOnline', { count: 0 }), '0 nœud en ligne')
    assert.equal(t('search.count', { count: 1234 }), '1\u202f234 vidéos')
    assert.equal(t('channel.videosBy', { name: 'Ada' }), 'Vidéos de Ada')
    assert.equal(ratingLabel(0), 'Tous publics')
    assert.equal(ratingLabel(3), '16+')
  })

  it('formats sizes, times, amounts and durations with the active locale', () => {
    assert.equal(formatBytes(1536), '1.5 KiB')
    assert.equal(formatAgo(1000 - 3 * 86_400, 1000), '3 days ago')
    assert.equal(formatUnits(10n ** 16n), '0.01')
    assert.equal(groupDigits(1_000_000n), '1,000,000')
    assert.equal(refundWindowLabel(7n * 86_400n), 'Refundable for 7 days after you buy')
    activateLocale('fr', fr)
    assert.equal(formatBytes(1536), '1,5 Kio')
    assert.equal(formatBytes(5 * 1024 ** 3), '5,0 Gio')
    assert.equal(formatAgo(1000 - 3 * 86_400, 1000), 'il y a 3 jours')
    assert.equal(formatAgo(1000, 1000), 'à l’instant')
    assert.equal(formatUnits(10n ** 16n), '0,01')
    assert.equal(groupDigits(1_000_000n), '1\u202f000\u202f000')
    assert.equal(durationWords(86_400n), '1 jour')
    assert.equal(timeLeft(6n * 86_400n + 23n * 3600n + 5n), '6 jours 23 heures')
    assert.equal(refundWindowLabel(0n), 'Non remboursable')
  })
})

describe('locale choice', () => {
  it('takes the stored choice, else the first supported browser language, else English', () => {
    assert.equal(pickLocale(['fr-FR', 'en-US']), 'fr')
    assert.equal(pickLocale(['de-DE', 'FR-ca', 'en']), 'fr')
    assert.equal(pickLocale(['de-DE', 'en-GB', 'fr']), 'en')
    assert.equal(pickLocale(['de', 'ja']), 'en')
    assert.equal(pickLocale(undefined), 'en')
    assert.equal(pickLocale(['fr-FR'], 'en'), 'en')
    assert.equal(pickLocale(['en-US'], 'fr'), 'fr')
    // A stored value the app does not know (an older or tampered one) is ignored.
    assert.equal(pickLocale(['fr'], 'xx'), 'fr')
    assert.equal(pickLocale(['en'], '__proto__'), 'en')
  })

  it('keeps the viewer\'s language with the other preferences; garbage in storage is ignored', () => {
    const data = new Map<string, string>()
    const s: Store = { getItem: k => data.get(k) ?? null, setItem: (k, v) => { data.set(k, v) }, removeItem: k => { data.delete(k) } }
    assert.equal(storedLanguage(s), undefined)
    setStoredLanguage('fr', s)
    assert.equal(storedLanguage(s), 'fr')
    setStoredLanguage(undefined, s)
    assert.equal(storedLanguage(s), undefined)
    assert.throws(() => { setStoredLanguage('<script>', s) }, RangeError)
    for (const junk of ['', 'x'.repeat(40), 'fr"; x', '../en']) {
      data.set('p2pdv.language', junk)
      assert.equal(storedLanguage(s), undefined, junk)
    }
  })
})

// ---- no hard-coded English in the app's JSX ----

const APP = fileURLToPath(new URL('../src/app/', import.meta.url))
/** Attributes a person reads or hears. */
const READ_ATTRIBUTES = new Set(['title', 'aria-label', 'placeholder', 'alt', 'label', 'aria-valuetext', 'aria-description'])
/** Not words of any language: token symbols and CLI flags, the same in every locale. */
const SYMBOLS = /^(?:ETH|P2PV|--[a-z][a-z-]*|[·\s])+$/

async function tsxFiles (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...await tsxFiles(p))
    else if (e.name.endsWith('.tsx')) out.push(p)
  }
  return out
}

/** JSX text with letters, and read attributes given as string literals (or string-only templates), outside t(). */
export function hardCoded (file: string, text: string): string[] {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX)
  const found: string[] = []
  const where = (n: ts.Node): string => `${file.slice(APP.length)}:${src.getLineAndCharacterOfPosition(n.getStart()).line + 1}`
  const letters = (s: string): boolean => /\p{L}{2,}/u.test(s) && !SYMBOLS.test(s.trim())
  const visit = (n: ts.Node): void => {
    if (ts.isJsxText(n) && letters(n.text)) found.push(`${where(n)} text "${n.text.trim()}"`)
    if (ts.isJsxAttribute(n) && READ_ATTRIBUTES.has(n.name.getText(src)) && n.initializer !== undefined) {
      const init = n.initializer
      const literal = ts.isStringLiteral(init)
        ? init.text
        : ts.isJsxExpression(init) && init.expression !== undefined && (ts.isStringLiteral(init.expression) || ts.isNoSubstitutionTemplateLiteral(init.expression))
          ? init.expression.text
          : undefined
      if (literal !== undefined && letters(literal)) found.push(`${where(n)} ${n.name.getText(src)}="${literal}"`)
    }
    // A string a JSX child expression renders: {'Loading'}, {ok ? 'Yes' : t('no')}, {busy && 'Wait'}.
    if (ts.isJsxExpression(n) && n.expression !== undefined && (ts.isJsxElement(n.parent) || ts.isJsxFragment(n.parent))) {
      const strings: string[] = []
      const rendered = (e: ts.Expression): void => {
        if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) strings.push(e.text)
        else if (ts.isTemplateExpression(e)) strings.push(e.head.text, ...e.templateSpans.map(s => s.literal.text))
        else if (ts.isParenthesizedExpression(e)) rendered(e.expression)
        else if (ts.isConditionalExpression(e)) { rendered(e.whenTrue); rendered(e.whenFalse) }
        else if (ts.isBinaryExpression(e)) {
          const op = e.operatorToken.kind
          if (op === ts.SyntaxKind.AmpersandAmpersandToken) rendered(e.right)
          else if (op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken || op === ts.SyntaxKind.PlusToken) { rendered(e.left); rendered(e.right) }
        }
      }
      rendered(n.expression)
      for (const s of strings) if (letters(s)) found.push(`${where(n)} expression "${s}"`)
    }
    ts.forEachChild(n, visit)
  }
  visit(src)
  return found
}

describe('the app\'s JSX has no hard-coded English', () => {
  it('the check finds text, read attributes and literal children, and accepts t()', () => {
    const found = hardCoded(APP + 'x.tsx', `const a = <p title='Hello there' aria-label={t('k')} className={x ? 'a' : 'b'}>Hi friend <b>{ok ? 'Yes' : t('no')}</b>{t('x')} · {n}{s === 'ready' && <i className='wide' />}{busy && \`Wait \${n}\`}</p>`)
    assert.equal(found.length, 4, found.join('\n'))
  })

  it('every .tsx file under src/app passes', async () => {
    const files = await tsxFiles(APP)
    assert.ok(files.length > 20)
    const found: string[] = []
    for (const f of files) found.push(...hardCoded(f, await readFile(f, 'utf8')))
    assert.deepEqual(found, [], `move these into src/app/i18n/en.ts and use t():\n${found.join('\n')}`)
  })
})

describe('lazy loading', () => {
  it('the French catalog is a chunk of its own that no page preloads; English comes with every page', async () => {
    const { buildWebApp } = await import('../src/server/web-app.ts')
    const app = await buildWebApp()
    const text = (name: string): string => new TextDecoder().decode(app.assets.get(name)!.body)
    const js = [...app.assets.keys()].filter(n => n.endsWith('.js'))
    // ASCII parts of the headline (esbuild escapes other characters).
    const french = js.filter(n => text(n).includes('Regardez ce que les gens partagent'))
    assert.equal(french.length, 1, 'one chunk holds the French catalog')
    assert.ok(!text(french[0]!).includes(en['home.headline']), 'and not the English one')
    for (const path of ['/', '/search', '/settings', '/watch/video/0x' + '1'.repeat(64)]) {
      const preloaded = [...app.htmlFor(path).matchAll(/\/assets\/([^"]+\.js)/g)].map(m => m[1]!)
      assert.ok(!preloaded.includes(french[0]!), `${path} does not load the French chunk`)
      assert.ok(preloaded.some(n => text(n).includes(en['home.headline'])), `${path} has the English catalog`)
    }
  })
})
