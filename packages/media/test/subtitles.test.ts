// Subtitle parsing, conversion and checking: pure functions and small temp files.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { checkSubtitleInputs, languageName, loadSubtitles, MAX_SUBTITLE_BYTES, parseSrt, parseWebVtt, renderWebVtt, SubtitleErrorCode } from '@p2pdv/media'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'p2pdv-subs-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

async function file (name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

describe('WebVTT', () => {
  it('keeps ids, settings, STYLE blocks and text; drops NOTEs and an old timestamp map', () => {
    const p = parseWebVtt('WEBVTT - title\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n\nNOTE a comment\n\nSTYLE\n::cue { color: red }\n\nintro\n00:01.000 --> 00:02.500 align:start line:0\nHello\n<i>there</i>\n\n01:00:00.000 --> 01:00:01.000\nLater\n', 'a.vtt')
    assert.deepEqual(p.blocks, ['STYLE\n::cue { color: red }'])
    assert.deepEqual(p.cues, [
      { id: 'intro', start: 1, end: 2.5, settings: 'align:start line:0', text: 'Hello\n<i>there</i>' },
      { start: 3600, end: 3601, text: 'Later' }
    ])
    assert.equal(renderWebVtt(p, 1.5), 'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:135000,LOCAL:00:00:00.000\n\nSTYLE\n::cue { color: red }\n\nintro\n00:00:01.000 --> 00:00:02.500 align:start line:0\nHello\n<i>there</i>\n\n01:00:00.000 --> 01:00:01.000\nLater\n')
  })

  it('refuses a missing header and bad timings, naming the line', () => {
    assert.throws(() => parseWebVtt('1\n00:00:01.000 --> 00:00:02.000\nhi\n', 'x.vtt'), { code: SubtitleErrorCode.SYNTAX, details: { file: 'x.vtt', line: 1 } })
    assert.throws(() => parseWebVtt('WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nhi\n', 'x.vtt'), { code: SubtitleErrorCode.SYNTAX, details: { file: 'x.vtt', line: 3 } })
    assert.throws(() => parseWebVtt('WEBVTT\n\nid\nno timing here\n', 'x.vtt'), { code: SubtitleErrorCode.SYNTAX, details: { file: 'x.vtt', line: 4 } })
    assert.throws(() => parseWebVtt('WEBVTT\n\n00:01.000 --> 00:02.000\na\n00:03.000 --> 00:04.000\nb\n', 'x.vtt'), { code: SubtitleErrorCode.SYNTAX, details: { file: 'x.vtt', line: 5 } })
    assert.throws(() => parseWebVtt('WEBVTT\n\n00:61.000 --> 00:62.000\na\n', 'x.vtt'), { code: SubtitleErrorCode.SYNTAX })
  })
})

describe('SubRip', () => {
  it('converts to WebVTT cue text: entities escaped, i/b/u kept, other markup dropped', () => {
    const p = parseSrt('1\n00:00:01,000 --> 00:00:02,500\n<font color="red">Tom & Jerry</font> {\\an8}<I>x</I>\n\n2\n00:00:03,5 --> 00:00:04,000 X1:10 X2:20\n1 < 2 --> 3\n\n00:00:05,000 --> 00:00:06,000\nno counter\n', 'a.srt')
    assert.deepEqual(p.cues, [
      { start: 1, end: 2.5, text: 'Tom &amp; Jerry <i>x</i>' },
      { start: 3.5, end: 4, text: '1 &lt; 2 --&gt; 3' },
      { start: 5, end: 6, text: 'no counter' }
    ])
  })

  it('refuses a block without a timing line, naming the line', () => {
    assert.throws(() => parseSrt('1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03 --> 00:00:04,000\nbad\n', 'b.srt'), { code: SubtitleErrorCode.SYNTAX, details: { file: 'b.srt', line: 6 } })
    assert.throws(() => parseSrt('just some text\n', 'c.srt'), { code: SubtitleErrorCode.SYNTAX, details: { file: 'c.srt', line: 1 } })
  })
})

describe('loadSubtitles', () => {
  it('reads UTF-8 with a BOM and CRLF, sorts cues, cuts ends at the video end, names the language', async () => {
    const path = await file('bom.srt', '\ufeff1\r\n00:00:05,000 --> 00:00:12,000\r\nÉté\r\n\r\n2\r\n00:00:01,000 --> 00:00:02,000\r\nfirst\r\n')
    const s = await loadSubtitles({ lang: 'fr', path }, 10)
    assert.equal(s.name, 'Français')
    assert.deepEqual(s.parsed.cues.map(c => [c.start, c.end, c.text]), [[1, 2, 'first'], [5, 10, 'Été']])
  })

  it('refuses bad files with codes that name the file and line', async () => {
    const cases: Array<[string, string | Uint8Array, string, number | undefined]> = [
      ['notes.txt', 'hello', SubtitleErrorCode.FORMAT, undefined],
      ['latin1.srt', Buffer.concat([Buffer.from('1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,000 --> 00:00:04,000\n'), Buffer.from([0xe9, 0x74, 0xe9, 0x0a])]), SubtitleErrorCode.NOT_UTF8, 7],
      ['empty.vtt', 'WEBVTT\n\nNOTE nothing\n', SubtitleErrorCode.EMPTY, undefined],
      ['late.srt', '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:01:00,000 --> 00:01:02,000\ntoo late\n', SubtitleErrorCode.TIMING, 6],
      ['backwards.vtt', 'WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nback\n', SubtitleErrorCode.TIMING, 3],
      ['nul.vtt', 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\na\u0000b\n', SubtitleErrorCode.SYNTAX, 4]
    ]
    for (const [name, content, code, line] of cases) {
      const path = await file(name, content)
      await assert.rejects(loadSubtitles({ lang: 'en', path }, 10), (err: any) => {
        assert.equal(err.code, code, name)
        assert.equal(err.details.file, path, name)
        assert.equal(err.details.line, line, name)
        return true
      })
    }
    const big = await file('big.vtt', 'WEBVTT\n\n' + 'x'.repeat(MAX_SUBTITLE_BYTES))
    await assert.rejects(loadSubtitles({ lang: 'en', path: big }, 10), { code: SubtitleErrorCode.TOO_LARGE })
    await assert.rejects(loadSubtitles({ lang: 'en', path: join(dir, 'missing.vtt') }, 10), { code: SubtitleErrorCode.UNREADABLE })
  })

  it('checks the track list: tags, duplicates ignoring case, one default', () => {
    assert.doesNotThrow(() => checkSubtitleInputs([{ lang: 'en', path: 'a' }, { lang: 'pt-BR', path: 'b', default: true }]))
    assert.throws(() => checkSubtitleInputs([{ lang: 'english!', path: 'a' }]), { code: SubtitleErrorCode.LANG })
    assert.throws(() => checkSubtitleInputs([{ lang: 'en', path: 'a' }, { lang: 'EN', path: 'b' }]), { code: SubtitleErrorCode.LANG })
    assert.throws(() => checkSubtitleInputs([{ lang: 'en', path: 'a', default: true }, { lang: 'fr', path: 'b', default: true }]), { code: SubtitleErrorCode.LANG })
    assert.throws(() => checkSubtitleInputs([{ lang: 'en', path: 'a', name: 'x\ny' }]), { code: SubtitleErrorCode.LANG })
    assert.equal(languageName('pt-BR'), 'Português (Brasil)')
  })
})
