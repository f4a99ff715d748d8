import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { StreamRef, VideoManifest } from '@p2pdv/core'
import { editSubtitles, findSubtitleTrack } from '../src/subtitle-edit.ts'

const ref = (n: number): StreamRef => ({ n, size: 0, chunks: [] })

function video (subtitles?: VideoManifest['subtitles']): VideoManifest {
  return {
    v: 1,
    type: 'video',
    objectId: new Uint8Array(16),
    durationSeconds: 4,
    segmentSeconds: 2,
    sourceSha256: new Uint8Array(32),
    renditions: [{ id: '240p', kind: 'video', bandwidth: 1000, codecs: 'avc1.64000d', init: ref(0), segments: [{ duration: 2, stream: ref(1) }, { duration: 2, stream: ref(2) }] }],
    poster: ref(3),
    ...(subtitles === undefined ? {} : { subtitles }),
    thumbnails: { intervalSeconds: 2, tileWidth: 160, tileHeight: 90, columns: 2, rows: 1, sheets: [ref(9)] }
  }
}

const vtt = new TextEncoder().encode('WEBVTT\n')

describe('editSubtitles', () => {
  it('replaces a track (matched ignoring case) with a stream number no other stream uses, keeping its name and default', () => {
    const v = video([{ lang: 'en', name: 'English (automatic)', default: true, stream: ref(4) }, { lang: 'fr', name: 'Français', stream: ref(5) }])
    const { video: out, added } = editSubtitles(v, { lang: 'EN', vtt })
    assert.deepEqual(out.subtitles?.map(t => [t.lang, t.name, t.default === true, t.stream.n]), [['fr', 'Français', false, 5], ['en', 'English (automatic)', true, 10]])
    assert.equal(added?.track, out.subtitles?.[1])
    assert.equal(added?.vtt, vtt)
    // Stream numbers stay unique: a reused number under the new key would reuse AES-GCM nonces.
    const numbers = [...out.renditions.flatMap(r => [r.init.n, ...r.segments.map(g => g.stream.n)]), out.poster.n, ...out.subtitles!.map(t => t.stream.n), ...out.thumbnails!.sheets.map(g => g.n)]
    assert.equal(new Set(numbers).size, numbers.length)
  })

  it('adds a new language, named, taking the default flag from the old default', () => {
    const v = video([{ lang: 'en', name: 'English', default: true, stream: ref(4) }])
    const { video: out } = editSubtitles(v, { lang: 'pt-BR', vtt, name: 'Português', default: true })
    assert.deepEqual(out.subtitles?.map(t => [t.lang, t.name, t.default === true]), [['en', 'English', false], ['pt-BR', 'Português', true]])
    const first = editSubtitles(video(), { lang: 'de', vtt })
    assert.deepEqual(first.video.subtitles?.map(t => [t.lang, t.name, t.stream.n]), [['de', 'de', 10]])
  })

  it('removes a track, and the list entirely when it was the last', () => {
    const v = video([{ lang: 'en', name: 'English', stream: ref(4) }, { lang: 'fr', name: 'Français', stream: ref(5) }])
    assert.deepEqual(editSubtitles(v, { lang: 'en', remove: true }).video.subtitles?.map(t => t.lang), ['fr'])
    const last = editSubtitles(video([{ lang: 'en', name: 'English', stream: ref(4) }]), { lang: 'en', remove: true })
    assert.equal('subtitles' in last.video, false)
    assert.equal(last.added, undefined)
  })

  it('refuses what would make a bad manifest, with codes', () => {
    const v = video([{ lang: 'en', name: 'English', stream: ref(4) }])
    assert.throws(() => editSubtitles(v, { lang: 'de', remove: true }), { code: 'ERR_SUBTITLE_NOT_FOUND' })
    assert.throws(() => findSubtitleTrack(v, 'de'), { code: 'ERR_SUBTITLE_NOT_FOUND' })
    assert.throws(() => editSubtitles(v, { lang: '../x', vtt }), { code: 'ERR_SUBTITLE_LANG' })
    assert.throws(() => editSubtitles(v, { lang: 'en', vtt, name: 'a\u0007b' }), { code: 'ERR_SUBTITLE_NAME' })
    assert.throws(() => editSubtitles(v, { lang: 'en', vtt, name: 'x'.repeat(65) }), { code: 'ERR_SUBTITLE_NAME' })
    const full = video(Array.from({ length: 32 }, (_, i) => ({ lang: `xx-l${i}`, name: `L${i}`, stream: ref(100 + i) })))
    assert.throws(() => editSubtitles(full, { lang: 'en', vtt }), { code: 'ERR_SUBTITLE_TOO_MANY' })
    assert.doesNotThrow(() => editSubtitles(full, { lang: 'xx-l3', vtt }))
  })
})
