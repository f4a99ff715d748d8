// Automatic captions: word error rate, parsing the engine's word times, shaping cues. Pure functions.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildCues, captionModel, CaptionErrorCode, parsePocketsphinxTimes, wordErrorRate, type TimedWord } from '@p2pdv/media'

describe('wordErrorRate', () => {
  it('is 0 for the same words, ignoring case and punctuation', () => {
    assert.equal(wordErrorRate('The quick, brown fox.', 'the QUICK brown fox'), 0)
  })
  it('counts substitutions, deletions and insertions over the reference length', () => {
    assert.equal(wordErrorRate('a b c d', 'a x c d'), 0.25) // one substitution
    assert.equal(wordErrorRate('a b c d', 'a c d'), 0.25) // one deletion
    assert.equal(wordErrorRate('a b c d', 'a b c d e f'), 0.5) // two insertions
    assert.equal(wordErrorRate('a b c d', ''), 1)
    assert.equal(wordErrorRate('a b', 'c d e f'), 2) // can exceed 1
  })
  it('an empty reference is 0 against nothing and 1 against anything', () => {
    assert.equal(wordErrorRate('', ''), 0)
    assert.equal(wordErrorRate(' . ', 'word'), 1)
  })
})

describe('parsePocketsphinxTimes', () => {
  it('keeps words with times, drops fillers and the text line, strips pronunciation variants', () => {
    const out = [
      'we probably got read it',
      '<s> 0.000 0.230 1.000200',
      'we 0.240 0.430 0.664416',
      '<sil> 0.440 0.560 0.998002',
      'probably(2) 0.570 0.910 0.052932',
      '[NOISE] 0.920 1.000 0.5',
      '++BREATH++ 1.000 1.100 0.5',
      'read(2) 8.890 9.050 0.026563',
      'bad 3.000 2.000 0.5',
      '</s> 14.220 14.770 1.000000',
      'INFO: something 1 2 3'
    ].join('\n')
    assert.deepEqual(parsePocketsphinxTimes(out), [
      { word: 'we', start: 0.24, end: 0.43 },
      { word: 'probably', start: 0.57, end: 0.91 },
      { word: 'read', start: 8.89, end: 9.05 }
    ])
  })
  it('yields nothing from output without word lines (silence)', () => {
    assert.deepEqual(parsePocketsphinxTimes('\n\n'), [])
  })
})

describe('buildCues', () => {
  const w = (word: string, start: number, end: number): TimedWord => ({ word, start, end })
  it('splits at pauses, keeps word times, escapes WebVTT markup', () => {
    const cues = buildCues([w('hello', 0.5, 0.9), w('there', 1, 1.4), w('a<b', 3, 3.2), w('&', 3.3, 3.4)])
    assert.deepEqual(cues, [
      { start: 0.5, end: 1.4, text: 'hello there' },
      { start: 3, end: 3.4, text: 'a&lt;b &amp;' }
    ])
  })
  it('caps a cue at 42 characters and 6 seconds; cues never overlap', () => {
    const words = Array.from({ length: 40 }, (_, i) => w('word', i * 0.3, i * 0.3 + 0.35))
    const cues = buildCues(words)
    assert.ok(cues.length > 1)
    for (const c of cues) {
      assert.ok(c.text.length <= 42, c.text)
      assert.ok(c.end - c.start <= 6 + 1e-9)
      assert.ok(c.end > c.start)
    }
    for (let i = 1; i < cues.length; i++) assert.ok(cues[i - 1]!.end <= cues[i]!.start)
    assert.equal(cues.map(c => c.text).join(' '), words.map(x => x.word).join(' '), 'every word once, in order')
  })
  it('no words give no cues', () => {
    assert.deepEqual(buildCues([]), [])
  })
})

describe('captionModel', () => {
  it('has English (any region) and refuses other languages and junk with ERR_CAPTIONS_LANG', () => {
    assert.equal(captionModel('en').lang, 'en')
    assert.equal(captionModel('en-GB').lang, 'en')
    for (const bad of ['fr', 'xx', '', 'en/../../etc', 'e'.repeat(200)]) {
      assert.throws(() => captionModel(bad), (e: { code?: string }) => e.code === CaptionErrorCode.LANG, bad.slice(0, 20))
    }
  })
})

describe('checkCaptionEngine', () => {
  it('a missing engine binary or model is ERR_CAPTIONS_ENGINE_MISSING', async () => {
    const { execFile } = await import('node:child_process')
    const probe = "const m = await import('@p2pdv/media'); try { await m.checkCaptionEngine(m.captionModel('en')); process.stdout.write('ok') } catch (e) { process.stdout.write(e.code) }"
    const codeWith = async (env: Record<string, string>): Promise<string> => await new Promise((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', probe], { env: { ...process.env, ...env }, cwd: new URL('..', import.meta.url).pathname }, (err, stdout) => { if (err !== null) reject(err); else resolve(stdout.trim()) })
    })
    assert.equal(await codeWith({ P2PDV_POCKETSPHINX: '/nonexistent/pocketsphinx_continuous' }), CaptionErrorCode.ENGINE_MISSING)
    assert.equal(await codeWith({ P2PDV_POCKETSPHINX_MODELS: '/nonexistent' }), CaptionErrorCode.ENGINE_MISSING)
  })
})
