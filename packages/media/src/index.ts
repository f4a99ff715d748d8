export { displayRotation, probe, type ProbeResult, type SourceAudioTrack, MAX_DIMENSION, MAX_DURATION_SECONDS } from './probe.ts'
export { planAudio, parseAudioChoices, canonicalLang, MAX_AUDIO_TRACKS, type AudioChoice, type AudioRendition } from './audio-plan.ts'
export { planLadder, DEFAULT_RUNGS, AUDIO_KBPS, type Rendition, type Rung } from './ladder.ts'
export { transcode, ffmpegLadderArgs, DEFAULT_SEGMENT_SECONDS, PUBLIC_POSTER_WIDTH, type TranscodeOptions, type TranscodeProgress, type TranscodeResult, type OutputRendition } from './transcode.ts'
export { parseMediaPlaylist, parseMasterPlaylist, type MediaPlaylist } from './hls-playlist.ts'
export { planSprites, packSprites, DEFAULT_THUMBNAIL_INTERVAL, DEFAULT_THUMBNAIL_GRID, DEFAULT_THUMBNAIL_TILE, type SpritePlan, type ThumbnailOptions } from './sprites.ts'
export {
  loadSubtitles, checkSubtitleInputs, parseWebVtt, parseSrt, checkCueTimes, renderWebVtt, languageName, SubtitleErrorCode, MAX_SUBTITLE_BYTES,
  type SubtitleInput, type Cue, type ParsedSubtitles, type LoadedSubtitles
} from './subtitles.ts'
export { firstDecodeTime, trackTimescales } from './fmp4.ts'
export { MediaErrorCode } from './run-tool.ts'
export { LiveEncoder, liveEncoderArgs, ingestArgs, parseLiveLadder, completeSegments, DEFAULT_LIVE_LADDER, LIVE_SEGMENT_SECONDS, type LiveIngest, type LiveRendition, type LiveSegment, type LiveEncoderOptions } from './live-encoder.ts'
export {
  transcribe, buildCues, wordErrorRate, parsePocketsphinxTimes, captionModel, checkCaptionEngine, captionTrack, CaptionErrorCode, CAPTION_ENGINE,
  type TimedWord, type TranscribeOptions, type TranscribeResult, type CaptionModel
} from './captions.ts'
export { initCodecs, posterFromSegment } from './live-archive.ts'
export { publicPosterFrom } from './public-poster.ts'
