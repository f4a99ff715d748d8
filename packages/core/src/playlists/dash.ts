/**
 * A DASH MPD rendered from a video manifest over the very segments HLS uses (CMAF: the same
 * init and `.m4s` files, at the same relative URLs). Static (VOD), `isoff-live` profile:
 *
 * - one video AdaptationSet (the video renditions, aligned segments), one audio AdaptationSet;
 * - per Representation a SegmentTemplate with a SegmentTimeline built from the manifest's
 *   segment durations (cumulative times rounded once, so rounding never drifts);
 * - each subtitle track as a side-loaded WebVTT AdaptationSet (`text/vtt`, role subtitle);
 * - sprite sheets as a DASH-IF thumbnail AdaptationSet (`image/jpeg`, `thumbnail_tile`).
 */
import type { VideoManifest, VideoRendition } from '../manifest.ts'

/** Segment times are given in microseconds: the manifest's durations have six decimals. */
export const DASH_TIMESCALE = 1_000_000

function escapeXml (value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

/** xs:duration with millisecond precision, e.g. `PT8.000S`. */
export function formatIsoDuration (seconds: number): string {
  return `PT${Math.max(0, seconds).toFixed(3)}S`
}

/** `<S>` entries: cumulative start times rounded to the timescale, equal runs folded into `r`. */
function segmentTimeline (r: VideoRendition): string {
  const starts = [0]
  let sum = 0
  for (const s of r.segments) { sum += s.duration; starts.push(Math.round(sum * DASH_TIMESCALE)) }
  const out: string[] = []
  let i = 0
  while (i < r.segments.length) {
    const d = starts[i + 1]! - starts[i]!
    let repeat = 0
    while (i + repeat + 1 < r.segments.length && starts[i + repeat + 2]! - starts[i + repeat + 1]! === d) repeat++
    out.push(`<S${i === 0 ? ' t="0"' : ''} d="${d}"${repeat > 0 ? ` r="${repeat}"` : ''}/>`)
    i += repeat + 1
  }
  return out.join('')
}

function representation (r: VideoRendition, indent: string): string[] {
  const attrs = [`id="${r.id}"`, `bandwidth="${r.bandwidth}"`, `codecs="${escapeXml(r.codecs)}"`]
  if (r.width !== undefined && r.height !== undefined) attrs.push(`width="${r.width}"`, `height="${r.height}"`)
  if (r.frameRate !== undefined) attrs.push(`frameRate="${frameRate(r.frameRate)}"`)
  return [
    `${indent}<Representation ${attrs.join(' ')}>`,
    `${indent}  <SegmentTemplate timescale="${DASH_TIMESCALE}" initialization="${r.id}/init.mp4" media="${r.id}/$Number$.m4s" startNumber="0">`,
    `${indent}    <SegmentTimeline>${segmentTimeline(r)}</SegmentTimeline>`,
    `${indent}  </SegmentTemplate>`,
    `${indent}</Representation>`
  ]
}

/** DASH frame rates are integers or fractions (29.97 → 30000/1001). */
function frameRate (fps: number): string {
  if (Number.isInteger(fps)) return String(fps)
  const ntsc = Math.round(fps * 1.001)
  if (Math.abs(ntsc / 1.001 - fps) < 0.005) return `${ntsc * 1000}/1001`
  return `${Math.round(fps * 1000)}/1000`
}

export function renderDashMpd (video: VideoManifest): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" mediaPresentationDuration="${formatIsoDuration(video.durationSeconds)}" minBufferTime="${formatIsoDuration(video.segmentSeconds)}">`,
    '  <Period id="0" start="PT0S">'
  ]
  let set = 0
  const videos = video.renditions.filter(r => r.kind === 'video').sort((a, b) => b.bandwidth - a.bandwidth)
  const audios = video.renditions.filter(r => r.kind === 'audio')
  if (videos.length > 0) {
    const maxW = Math.max(...videos.map(r => r.width ?? 0))
    const maxH = Math.max(...videos.map(r => r.height ?? 0))
    lines.push(`    <AdaptationSet id="${set++}" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1"${maxW > 0 ? ` maxWidth="${maxW}" maxHeight="${maxH}"` : ''}>`)
    for (const r of videos) lines.push(...representation(r, '      '))
    lines.push('    </AdaptationSet>')
  }
  // One adaptation set per language (DASH players switch bitrates within a set, languages across).
  const defaultAudio = Math.max(0, audios.findIndex(r => r.default === true))
  for (const [i, r] of audios.entries()) {
    const lang = r.lang === undefined ? '' : ` lang="${escapeXml(r.lang)}"`
    lines.push(`    <AdaptationSet id="${set++}" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1"${lang}>`)
    if (audios.length > 1) lines.push(`      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="${i === defaultAudio ? 'main' : 'alternate'}"/>`)
    if (r.name !== undefined) lines.push(`      <Label>${escapeXml(r.name)}</Label>`)
    lines.push(...representation(r, '      '))
    lines.push('    </AdaptationSet>')
  }
  for (const t of video.subtitles ?? []) {
    lines.push(
      `    <AdaptationSet id="${set++}" contentType="text" mimeType="text/vtt" lang="${t.lang}">`,
      '      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="subtitle"/>',
      `      <Label>${escapeXml(t.name)}</Label>`,
      `      <Representation id="subtitles-${t.lang}" bandwidth="${Math.max(1, Math.round(t.stream.size * 8 / video.durationSeconds))}">`,
      `        <BaseURL>subtitles/${t.lang}.vtt</BaseURL>`,
      '      </Representation>',
      '    </AdaptationSet>'
    )
  }
  const th = video.thumbnails
  if (th !== undefined) {
    const perSheet = th.columns * th.rows
    const bytes = th.sheets.reduce((a, s) => a + s.size, 0)
    lines.push(
      `    <AdaptationSet id="${set++}" contentType="image" mimeType="image/jpeg">`,
      `      <SegmentTemplate media="thumbnails/$Number$.jpg" timescale="1000" duration="${Math.round(th.intervalSeconds * perSheet * 1000)}" startNumber="0"/>`,
      `      <Representation id="thumbnails" bandwidth="${Math.max(1, Math.round(bytes * 8 / video.durationSeconds))}" width="${th.columns * th.tileWidth}" height="${th.rows * th.tileHeight}">`,
      `        <EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="${th.columns}x${th.rows}"/>`,
      '      </Representation>',
      '    </AdaptationSet>'
    )
  }
  lines.push('  </Period>', '</MPD>')
  return lines.join('\n') + '\n'
}
