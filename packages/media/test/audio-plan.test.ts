import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MAX_AUDIO_TRACKS, MediaErrorCode, parseAudioChoices, planAudio, type SourceAudioTrack } from '@p2pdv/media'

const track = (index: number, lang?: string, extra: Partial<SourceAudioTrack> = {}): SourceAudioTrack =>
  ({ index, codec: 'aac', default: false, ...(lang === undefined ? {} : { lang }), ...extra })

describe('planAudio', () => {
  it('publishes every track, named by its language, the file\'s default first choice of players', () => {
    const plan = planAudio([track(0, 'eng'), track(1, 'spa', { default: true })])
    assert.deepEqual(plan, [
      { id: 'audio-en', track: 0, lang: 'en', name: 'English', default: false },
      { id: 'audio-es', track: 1, lang: 'es', name: 'Español', default: true }
    ])
  })

  it('keeps one track as "audio" (what single-track manifests always had), and names untagged tracks by number', () => {
    assert.deepEqual(planAudio([track(0)]), [{ id: 'audio', track: 0, name: 'Audio', default: true }])
    assert.deepEqual(planAudio([track(0, 'und'), track(1, undefined, { title: 'Director\'s commentary' })]).map(a => [a.id, a.name, a.default]),
      [['audio-0', 'Audio 1', true], ['audio-1', 'Director\'s commentary', false]])
    assert.deepEqual(planAudio([]), [])
  })

  it('gives two tracks of one language distinct ids', () => {
    const ids = planAudio([track(0, 'en'), track(1, 'en')]).map(a => a.id)
    assert.equal(new Set(ids).size, 2)
  })

  it('--audio-lang picks by language or number, relabels, and makes the first choice the default', () => {
    const tracks = [track(0, 'eng', { default: true }), track(1, 'spa'), track(2)]
    assert.deepEqual(planAudio(tracks, parseAudioChoices('es')), [{ id: 'audio', track: 1, lang: 'es', name: 'Español', default: true }])
    assert.deepEqual(planAudio(tracks, parseAudioChoices('2=pt-BR, en')).map(a => [a.id, a.track, a.lang, a.default]),
      [['audio-pt-br', 2, 'pt-BR', true], ['audio-en', 0, 'en', false]])
  })

  it('refuses what it cannot honour, with codes and the tracks the file has', () => {
    const tracks = [track(0, 'eng'), track(1)]
    assert.throws(() => planAudio(tracks, parseAudioChoices('fr')), (err: { code: string, hint: string }) => err.code === MediaErrorCode.BAD_OPTION && err.hint.includes('0=eng, 1=untagged'))
    assert.throws(() => planAudio(tracks, parseAudioChoices('5=fr')), { code: MediaErrorCode.BAD_OPTION })
    for (const bad of ['', ',', 'english language', '1=', '=en', 'e', '1=e"n']) assert.throws(() => parseAudioChoices(bad), { code: MediaErrorCode.BAD_OPTION }, bad)
    const many = Array.from({ length: MAX_AUDIO_TRACKS + 1 }, (_, i) => track(i, 'en'))
    assert.throws(() => planAudio(many), { code: MediaErrorCode.TOO_MANY_TRACKS })
    assert.equal(planAudio(many, parseAudioChoices('0=en,1=fr')).length, 2)
  })
})
