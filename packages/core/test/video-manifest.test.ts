import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { blockCid, decodeManifest, encodeManifest, generateContentKey, generateObjectId, isP2pdvError, ManifestErrorCode, objectBlocks, openManifest, sealManifest, subtitleContext, thumbnailSheetContext, videoStreamContext, videoStreams, withVideoStreams, type VideoManifest } from '@p2pdv/core'
import { formatVttTime, renderDashMpd, renderMasterPlaylist, renderMediaPlaylist, renderSubtitlePlaylist, renderThumbnailsVtt, resolveVideoPath } from '@p2pdv/core/playlists'

async function sample (): Promise<VideoManifest> {
  const cid = await blockCid(new Uint8Array([1]))
  const ref = (n: number) => ({ n, size: 10, chunks: [{ cid, size: 10 }] })
  return {
    v: 1, type: 'video', objectId: generateObjectId(), durationSeconds: 6, segmentSeconds: 4, sourceSha256: new Uint8Array(32),
    renditions: [
      { id: '360p', kind: 'video', width: 640, height: 360, frameRate: 30, bandwidth: 1_000_000, codecs: 'avc1.64001e,mp4a.40.2', init: ref(0), segments: [{ duration: 4, stream: ref(1) }, { duration: 2, stream: ref(2) }] },
      { id: 'audio', kind: 'audio', bandwidth: 140_000, codecs: 'mp4a.40.2', init: ref(3), segments: [{ duration: 4, stream: ref(4) }, { duration: 2, stream: ref(5) }] }
    ],
    poster: ref(6),
    title: 'Test card'
  }
}

/** The shape uploads have now: video-only renditions, one audio rendition, subtitles, sprites. */
async function full (): Promise<VideoManifest> {
  const cid = await blockCid(new Uint8Array([2]))
  const ref = (n: number, size = 10) => ({ n, size, chunks: [{ cid, size }] })
  return {
    v: 1, type: 'video', objectId: generateObjectId(), durationSeconds: 8.5, segmentSeconds: 4, sourceSha256: new Uint8Array(32),
    renditions: [
      { id: '480p', kind: 'video', width: 854, height: 480, frameRate: 29.97, bandwidth: 1_540_000, codecs: 'avc1.64001e', init: ref(0), segments: [{ duration: 4, stream: ref(1) }, { duration: 4, stream: ref(2) }, { duration: 0.5, stream: ref(3) }] },
      { id: '360p', kind: 'video', width: 640, height: 360, frameRate: 29.97, bandwidth: 880_000, codecs: 'avc1.64001e', init: ref(4), segments: [{ duration: 4, stream: ref(5) }, { duration: 4, stream: ref(6) }, { duration: 0.5, stream: ref(7) }] },
      { id: 'audio', kind: 'audio', bandwidth: 140_800, codecs: 'mp4a.40.2', init: ref(8), segments: [{ duration: 4.010667, stream: ref(9) }, { duration: 3.989333, stream: ref(10) }, { duration: 0.5, stream: ref(11) }] }
    ],
    poster: ref(12),
    subtitles: [
      { lang: 'en', name: 'English', default: true, stream: ref(13) },
      { lang: 'pt-BR', name: 'Português "BR"', stream: ref(14) }
    ],
    thumbnails: { intervalSeconds: 2, tileWidth: 160, tileHeight: 90, columns: 2, rows: 2, sheets: [ref(15), ref(16)] }
  }
}

describe('video manifest', () => {
  it('round-trips sealed', async () => {
    const key = generateContentKey()
    const m = await sample()
    const { cid, block } = await sealManifest(key, m)
    assert.deepEqual(await openManifest(key, cid, block), m)
  })

  it('refuses reused streams, bad ids, and inconsistent sizes', async () => {
    const { decode, encode } = await import('@ipld/dag-cbor')
    const raw = decode(encodeManifest(await sample())) as any
    const reused = structuredClone(raw); reused.poster.n = 1
    assert.throws(() => decodeManifest(encode(reused)), { code: ManifestErrorCode.MALFORMED })
    const badId = structuredClone(raw); badId.renditions[0].id = '../etc'
    assert.throws(() => decodeManifest(encode(badId)), { code: ManifestErrorCode.MALFORMED })
    const badSize = structuredClone(raw); badSize.poster.size = 11
    assert.throws(() => decodeManifest(encode(badSize)), { code: ManifestErrorCode.MALFORMED })
    const noSegments = structuredClone(raw); noSegments.renditions[1].segments = []
    assert.throws(() => decodeManifest(encode(noSegments)), { code: ManifestErrorCode.MALFORMED })
  })

  it('renders HLS playlists with the required tags', async () => {
    const m = await sample()
    const master = renderMasterPlaylist(m)
    assert.match(master, /^#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n/)
    assert.match(master, /#EXT-X-STREAM-INF:BANDWIDTH=1000000,CODECS="avc1\.64001e,mp4a\.40\.2",RESOLUTION=640x360,FRAME-RATE=30\.000\n360p\/index\.m3u8/)
    assert.ok(master.indexOf('360p/') < master.indexOf('audio/'), 'video variants first')
    const media = renderMediaPlaylist(m.renditions[0]!)
    assert.match(media, /#EXT-X-TARGETDURATION:4\n/)
    assert.match(media, /#EXT-X-MAP:URI="init\.mp4"\n#EXTINF:4\.000000,\n0\.m4s\n#EXTINF:2\.000000,\n1\.m4s\n#EXT-X-ENDLIST\n$/)
  })

  it('maps every path of the video layout to a playlist or to the stream and context it was sealed under', async () => {
    const m = await sample()
    const dec = new TextDecoder()
    const master = resolveVideoPath(m, 'master.m3u8')
    assert.equal(master?.kind, 'text')
    assert.match(master.kind === 'text' ? master.body : '', /360p\/index\.m3u8/)
    const seg = resolveVideoPath(m, '360p/1.m4s')
    assert.ok(seg?.kind === 'stream')
    assert.equal(seg.stream.n, 2)
    assert.equal(dec.decode(seg.context), '360p/1')
    const init = resolveVideoPath(m, 'audio/init.mp4')
    assert.ok(init?.kind === 'stream' && init.type === 'audio/mp4' && dec.decode(init.context) === 'audio/init')
    const poster = resolveVideoPath(m, 'poster.jpg')
    assert.ok(poster?.kind === 'stream' && poster.stream.n === 6)
    for (const bad of ['360p/2.m4s', '720p/0.m4s', '../master.m3u8', '360p/-1.m4s', '360p/1.m4s?x', 'x'.repeat(200), '']) {
      assert.equal(resolveVideoPath(m, bad), undefined, bad)
    }
  })
})

describe('subtitles, thumbnails and DASH', () => {
  const dec = new TextDecoder()

  it('round-trips subtitle tracks and sprite sheets sealed', async () => {
    const key = generateContentKey()
    const m = await full()
    const { cid, block } = await sealManifest(key, m)
    assert.deepEqual(await openManifest(key, cid, block), m)
  })

  it('refuses bad tracks and sprites with ERR_MANIFEST_MALFORMED', async () => {
    const { decode, encode } = await import('@ipld/dag-cbor')
    const raw = decode(encodeManifest(await full())) as any
    const cases: Array<[string, (m: any) => void]> = [
      ['bad lang', m => { m.subtitles[0].lang = 'en/../x' }],
      ['lang too long', m => { m.subtitles[0].lang = 'en-' + 'abcdefgh-'.repeat(4) + 'x' }],
      ['duplicate lang (case)', m => { m.subtitles[1].lang = 'EN' }],
      ['two defaults', m => { m.subtitles[1].default = true }],
      ['default not boolean', m => { m.subtitles[1].default = 1 }],
      ['control char in name', m => { m.subtitles[0].name = 'Eng\nlish' }],
      ['empty name', m => { m.subtitles[0].name = '  ' }],
      ['name too long', m => { m.subtitles[0].name = 'x'.repeat(65) }],
      ['no tracks', m => { m.subtitles = [] }],
      ['too many tracks', m => { m.subtitles = Array.from({ length: 33 }, (_, i) => ({ ...m.subtitles[0], lang: `l${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`, stream: { ...m.subtitles[0].stream, n: 100 + i }, default: false })) }],
      ['subtitle reuses a stream', m => { m.subtitles[0].stream.n = 3 }],
      ['sheet reuses a stream', m => { m.thumbnails.sheets[1].n = 13 }],
      ['interval zero', m => { m.thumbnails.intervalSeconds = 0 }],
      ['interval too small', m => { m.thumbnails.intervalSeconds = 0.1 }],
      ['tile zero', m => { m.thumbnails.tileWidth = 0 }],
      ['grid too large', m => { m.thumbnails.columns = 33 }],
      ['sheet too wide', m => { m.thumbnails.tileWidth = 1024; m.thumbnails.columns = 9 }],
      ['more sheets than tiles need', m => { m.thumbnails.sheets.push({ ...m.thumbnails.sheets[0], n: 99 }) }],
      ['no sheets', m => { m.thumbnails.sheets = [] }],
      ['reserved rendition id', m => { m.renditions[0].id = 'subtitles' }]
    ]
    for (const [what, edit] of cases) {
      const bad = structuredClone(raw)
      edit(bad)
      assert.throws(() => decodeManifest(encode(bad)), { code: ManifestErrorCode.MALFORMED }, what)
    }
  })

  it('contexts for subtitles and sheets never collide with segment contexts', () => {
    assert.equal(dec.decode(subtitleContext('pt-BR')), 'subtitles:pt-BR')
    assert.equal(dec.decode(thumbnailSheetContext(3)), 'thumbnails:3')
    assert.notEqual(dec.decode(thumbnailSheetContext(3)), dec.decode(videoStreamContext('thumbnails', 3)))
  })

  it('renders an audio group, subtitle renditions and per-variant CODECS/BANDWIDTH that count the audio', async () => {
    const m = await full()
    const master = renderMasterPlaylist(m)
    assert.match(master, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,URI="audio\/index\.m3u8"\n/)
    assert.match(master, /#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=YES,AUTOSELECT=YES,FORCED=NO,URI="subtitles\/en\.m3u8"\n/)
    // A double quote cannot appear inside an HLS quoted-string.
    assert.match(master, /NAME="Português 'BR'",LANGUAGE="pt-BR",DEFAULT=NO,.*URI="subtitles\/pt-BR\.m3u8"\n/)
    assert.match(master, /#EXT-X-STREAM-INF:BANDWIDTH=1680800,CODECS="avc1\.64001e,mp4a\.40\.2",RESOLUTION=854x480,FRAME-RATE=29\.970,AUDIO="audio",SUBTITLES="subs"\n480p\/index\.m3u8\n/)
    assert.match(master, /#EXT-X-STREAM-INF:BANDWIDTH=140800,CODECS="mp4a\.40\.2",SUBTITLES="subs"\naudio\/index\.m3u8\n/)
    // Legacy manifests whose video renditions mux audio get no audio group.
    assert.doesNotMatch(renderMasterPlaylist(await sample()), /EXT-X-MEDIA|AUDIO="|SUBTITLES=/)
    const subs = renderSubtitlePlaylist(m, m.subtitles![1]!)
    assert.equal(subs, '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:9\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:8.500000,\npt-BR.vtt\n#EXT-X-ENDLIST\n')
  })

  it('renders every audio track in the group with its language and name, the marked one the default; DASH gives each language its set', async () => {
    const m = await full()
    const audio = m.renditions[2]!
    m.renditions[2] = { ...audio, id: 'audio-en', lang: 'en', name: 'English' }
    m.renditions.push({ ...audio, id: 'audio-es', lang: 'es', name: 'Español', default: true, bandwidth: 150_000, init: { ...audio.init, n: 20 }, segments: audio.segments.map((s, i) => ({ ...s, stream: { ...s.stream, n: 21 + i } })) })
    const decoded = decodeManifest(encodeManifest(m)) as VideoManifest
    assert.deepEqual(decoded.renditions.map(r => [r.id, r.lang, r.name, r.default]), [['480p', undefined, undefined, undefined], ['360p', undefined, undefined, undefined], ['audio-en', 'en', 'English', undefined], ['audio-es', 'es', 'Español', true]])
    const master = renderMasterPlaylist(decoded)
    assert.match(master, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="audio-en\/index\.m3u8"\n/)
    assert.match(master, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Español",LANGUAGE="es",DEFAULT=YES,AUTOSELECT=YES,URI="audio-es\/index\.m3u8"\n/)
    // Variants count the most demanding track of the group.
    assert.match(master, /BANDWIDTH=1690000,CODECS="avc1\.64001e,mp4a\.40\.2",RESOLUTION=854x480/)
    const mpd = renderDashMpd(decoded)
    assert.match(mpd, /contentType="audio"[^>]*lang="en">\n\s*<Role schemeIdUri="urn:mpeg:dash:role:2011" value="alternate"\/>\n\s*<Label>English<\/Label>/)
    assert.match(mpd, /contentType="audio"[^>]*lang="es">\n\s*<Role schemeIdUri="urn:mpeg:dash:role:2011" value="main"\/>/)
    // Refused: two defaults, a language that is not a tag, an empty name.
    const { decode, encode } = await import('@ipld/dag-cbor')
    const raw = decode(encodeManifest(decoded)) as any
    for (const [what, edit] of [
      ['two defaults', (x: any) => { x.renditions[2].default = true }],
      ['bad language', (x: any) => { x.renditions[2].lang = 'english language' }],
      ['empty name', (x: any) => { x.renditions[2].name = ' ' }],
      ['default not a boolean', (x: any) => { x.renditions[2].default = 'yes' }]
    ] as const) {
      const bad = structuredClone(raw)
      edit(bad)
      assert.throws(() => decodeManifest(encode(bad)), { code: ManifestErrorCode.MALFORMED }, what)
    }
  })

  it('renders the thumbnails track: one cue per interval, row-major tiles across sheets', async () => {
    const m = await full()
    assert.equal(formatVttTime(3725.5), '01:02:05.500')
    const vtt = renderThumbnailsVtt(m)!
    const cues = vtt.trimEnd().split('\n\n').slice(1)
    // 8.5 s at 2 s: 5 tiles, 4 on sheet 0 (2×2) and 1 on sheet 1; the last cue ends at the end.
    assert.deepEqual(cues, [
      '00:00:00.000 --> 00:00:02.000\nthumbnails/0.jpg#xywh=0,0,160,90',
      '00:00:02.000 --> 00:00:04.000\nthumbnails/0.jpg#xywh=160,0,160,90',
      '00:00:04.000 --> 00:00:06.000\nthumbnails/0.jpg#xywh=0,90,160,90',
      '00:00:06.000 --> 00:00:08.000\nthumbnails/0.jpg#xywh=160,90,160,90',
      '00:00:08.000 --> 00:00:08.500\nthumbnails/1.jpg#xywh=0,0,160,90'
    ])
    assert.ok(vtt.startsWith('WEBVTT\n\n'))
    assert.equal(renderThumbnailsVtt(await sample()), undefined)
  })

  it('renders a DASH MPD over the same segment URLs with a drift-free SegmentTimeline', async () => {
    const m = await full()
    const mpd = renderDashMpd(m)
    assert.match(mpd, /type="static" mediaPresentationDuration="PT8\.500S" minBufferTime="PT4\.000S"/)
    assert.match(mpd, /<Representation id="480p" bandwidth="1540000" codecs="avc1\.64001e" width="854" height="480" frameRate="30000\/1001">/)
    assert.match(mpd, /initialization="480p\/init\.mp4" media="480p\/\$Number\$\.m4s" startNumber="0"/)
    assert.match(mpd, /<SegmentTimeline><S t="0" d="4000000" r="1"\/><S d="500000"\/><\/SegmentTimeline>/)
    assert.match(mpd, /<SegmentTimeline><S t="0" d="4010667"\/><S d="3989333"\/><S d="500000"\/><\/SegmentTimeline>/)
    assert.match(mpd, /contentType="text" mimeType="text\/vtt" lang="pt-BR">[\s\S]*<Label>Português &quot;BR&quot;<\/Label>[\s\S]*<BaseURL>subtitles\/pt-BR\.vtt<\/BaseURL>/)
    assert.match(mpd, /<SegmentTemplate media="thumbnails\/\$Number\$\.jpg" timescale="1000" duration="8000" startNumber="0"\/>/)
    assert.match(mpd, /value="2x2"/)
    // Well-formed enough that every opened element closes.
    for (const tag of ['MPD', 'Period', 'AdaptationSet', 'Representation', 'SegmentTemplate', 'SegmentTimeline']) {
      const open = (mpd.match(new RegExp(`<${tag}[ >]`, 'g')) ?? []).length
      const selfClosed = (mpd.match(new RegExp(`<${tag}[^>]*/>`, 'g')) ?? []).length
      assert.equal((mpd.match(new RegExp(`</${tag}>`, 'g')) ?? []).length, open - selfClosed, tag)
    }
  })

  it('maps the new paths to rendered text or to the stream and context each was sealed under', async () => {
    const m = await full()
    const sub = resolveVideoPath(m, 'subtitles/pt-BR.vtt')
    assert.ok(sub?.kind === 'stream' && sub.type === 'text/vtt' && sub.stream.n === 14)
    assert.equal(dec.decode(sub.context), 'subtitles:pt-BR')
    const subList = resolveVideoPath(m, 'subtitles/en.m3u8')
    assert.ok(subList?.kind === 'text' && subList.body.includes('\nen.vtt\n'))
    const sheet = resolveVideoPath(m, 'thumbnails/1.jpg')
    assert.ok(sheet?.kind === 'stream' && sheet.type === 'image/jpeg' && sheet.stream.n === 16)
    assert.equal(dec.decode(sheet.context), 'thumbnails:1')
    const thumbs = resolveVideoPath(m, 'thumbnails.vtt')
    assert.ok(thumbs?.kind === 'text' && thumbs.type === 'text/vtt')
    const mpd = resolveVideoPath(m, 'manifest.mpd')
    assert.ok(mpd?.kind === 'text' && mpd.type === 'application/dash+xml')
    for (const bad of ['subtitles/fr.vtt', 'subtitles/en.srt', 'subtitles/../en.vtt', 'thumbnails/2.jpg', 'thumbnails/01.jpg', 'thumbnails/-1.jpg', 'subtitles/EN.vtt']) {
      assert.equal(resolveVideoPath(m, bad), undefined, bad)
    }
    const legacy = await sample()
    assert.equal(resolveVideoPath(legacy, 'thumbnails.vtt'), undefined)
    assert.equal(resolveVideoPath(legacy, 'subtitles/en.vtt'), undefined)
  })
})

describe('videoStreams: the one list of a video\'s sealed streams', () => {
  it('gives every stream a distinct context, in canonical (objectBlocks) order, and path lookup agrees', async () => {
    for (const m of [await sample(), await full()]) {
      const streams = videoStreams(m)
      assert.deepEqual(streams.map(s => s.stream.n), Array.from({ length: streams.length }, (_, i) => i), 'manifest order')
      assert.deepEqual(objectBlocks(m).map(b => b.cid.toString()), streams.flatMap(s => s.stream.chunks.map(c => c.cid.toString())))
      const contexts = streams.map(s => new TextDecoder().decode(s.context))
      assert.equal(new Set(contexts).size, streams.length, `distinct contexts: ${contexts.join(' ')}`)
      assert.equal(new Set(streams.map(s => s.path)).size, streams.length, 'distinct paths')
      for (const s of streams) {
        const found = resolveVideoPath(m, s.path)
        assert.ok(found?.kind === 'stream', s.path)
        assert.equal(found.stream, s.stream, s.path)
        assert.equal(found.type, s.type, s.path)
        assert.deepEqual(found.context, s.context, s.path)
      }
    }
  })

  it('withVideoStreams fills the slots in the same order and keeps every other field', async () => {
    const m = await full()
    const renumbered = withVideoStreams(m, videoStreams(m).map(s => ({ ...s.stream, n: s.stream.n + 100 })))
    const again: VideoManifest = { ...m, ...renumbered }
    assert.deepEqual(videoStreams(again).map(s => s.stream.n), videoStreams(m).map(s => s.stream.n + 100))
    assert.deepEqual(decodeManifest(encodeManifest({ ...again, ...withVideoStreams(again, videoStreams(m).map(s => s.stream)) })), m)
    assert.throws(() => withVideoStreams(m, [m.poster]), (e: unknown) => isP2pdvError(e, 'ERR_BAD_ARGUMENT'))
  })
})
