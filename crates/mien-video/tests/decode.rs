//! Decoding the real test clips from `../shared/data/media/videos` (skipped with a note when absent).

use std::path::PathBuf;

use mien_video::{VideoError, VideoReader};
use sha2::{Digest, Sha256};

fn videos() -> Option<PathBuf> {
    mien_testdata::shared_subdir("data/media/videos")
}

#[test]
fn every_frame_with_timestamps_and_reference_pixels() {
    let Some(dir) = videos() else { return };
    let mut r = VideoReader::open(&dir.join("zwm_clip_01_tears_of_steel.mp4"), 0, 1).expect("open");
    let info = r.info().clone();
    assert_eq!((info.width, info.height, info.frames), (640, 360, 240));
    assert_eq!(info.codec, "h264");
    let frames: Vec<_> = r.by_ref().collect::<Result<_, _>>().expect("decode");
    assert_eq!(frames.len(), 240);
    // 24 fps: frame n is at round(n * 1000 / 24) ms.
    for (n, f) in frames.iter().enumerate() {
        assert_eq!(f.t_ms, (n as f64 * 1000.0 / 24.0).round() as u64, "frame {n}");
    }
    // The reference extracted frame 168 with the ffmpeg program (-pix_fmt rgb24); its decoded RGB sha256:
    let sha: String = Sha256::digest(frames[168].image.as_raw()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(sha, "a89470b0e9f2bd2709018635d2dbf6f5d55f64b371921e2f6d36fb2ec99fd591");
}

#[test]
fn sampling_every_200ms() {
    let Some(dir) = videos() else { return };
    let r = VideoReader::open(&dir.join("zwm_clip_02_caminandes_noface.mp4"), 200, 0).expect("open");
    let times: Vec<u64> = r.map(|f| f.expect("frame").t_ms).collect();
    assert_eq!(times.len(), 50, "{times:?}");
    for (k, t) in times.iter().enumerate() {
        // the first frame at or after k * 200 ms (frames are 41.7 ms apart)
        assert!(*t >= k as u64 * 200 && *t < k as u64 * 200 + 42, "sample {k} at {t} ms");
    }
}

#[test]
fn broken_files_give_clear_errors() {
    let Some(dir) = videos() else { return };
    let tmp = std::env::temp_dir().join(format!("mien-video-test-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    let bytes = std::fs::read(dir.join("zwm_clip_01_tears_of_steel.mp4")).expect("read");

    // Cut in the middle: either the index is gone (open fails) or frames are missing (Truncated at the end).
    let cut = tmp.join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let outcome = VideoReader::open(&cut, 0, 1).and_then(|r| r.collect::<Result<Vec<_>, _>>());
    assert!(
        matches!(outcome, Err(VideoError::Open { .. } | VideoError::Truncated { .. } | VideoError::Read { .. })),
        "{outcome:?}"
    );

    let empty = tmp.join("empty.mp4");
    std::fs::write(&empty, b"").expect("write");
    assert!(matches!(VideoReader::open(&empty, 0, 1), Err(VideoError::Open { .. })));

    let random = tmp.join("random.webm");
    std::fs::write(&random, (0..50_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect::<Vec<_>>())
        .expect("write");
    assert!(VideoReader::open(&random, 0, 1).and_then(|r| r.collect::<Result<Vec<_>, _>>()).is_err());

    assert!(matches!(VideoReader::open(&tmp.join("missing.mp4"), 0, 1), Err(VideoError::Open { .. })));
    std::fs::remove_dir_all(&tmp).ok();
}

/// WebM (VP8 and VP9): made from the real clip with the `ffmpeg` program into a temporary folder (skipped when the
/// program is missing; nothing is kept).
#[test]
fn webm_vp8_and_vp9_decode() {
    let Some(dir) = videos() else { return };
    let tmp = std::env::temp_dir().join(format!("mien-webm-test-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    for codec in ["libvpx", "libvpx-vp9"] {
        let out = tmp.join(format!("{codec}.webm"));
        let status = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-t", "2", "-i"])
            .arg(dir.join("zwm_clip_01_tears_of_steel.mp4"))
            .args(["-c:v", codec, "-b:v", "500k", "-an"])
            .arg(&out)
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("SKIP: the ffmpeg program (with {codec}) is needed to make a WebM test file");
            continue;
        }
        let r = VideoReader::open(&out, 200, 1).expect("open webm");
        assert_eq!((r.info().width, r.info().height), (640, 360));
        let frames: Vec<_> = r.collect::<Result<_, _>>().expect("decode webm");
        assert_eq!(frames.len(), 10, "{codec}: 2 s every 200 ms");
        assert!(frames.iter().all(|f| f.image.dimensions() == (640, 360)));
    }
    std::fs::remove_dir_all(&tmp).ok();
}

/// A file whose index comes first (`+faststart`), cut in the middle: the frames before the cut are delivered, then
/// the reader reports the truncation instead of ending quietly.
#[test]
fn cut_after_the_index_is_reported_as_truncated() {
    let Some(dir) = videos() else { return };
    let tmp = std::env::temp_dir().join(format!("mien-cut-test-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    let fast = tmp.join("fast.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(dir.join("zwm_clip_01_tears_of_steel.mp4"))
        .args(["-c", "copy", "-movflags", "+faststart"])
        .arg(&fast)
        .status();
    if !matches!(status, Ok(s) if s.success()) {
        eprintln!("SKIP: the ffmpeg program is needed to remux the clip");
        return;
    }
    let bytes = std::fs::read(&fast).expect("read");
    let cut = tmp.join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let mut r = VideoReader::open(&cut, 0, 1).expect("the index is intact, so it opens");
    let mut delivered = 0;
    let err = loop {
        match r.next_frame() {
            Ok(Some(_)) => delivered += 1,
            Ok(None) => panic!("a cut file must not end quietly ({delivered} frames)"),
            Err(e) => break e,
        }
    };
    assert!(delivered > 20, "{delivered}");
    match err {
        VideoError::Truncated { found, expected: 240, .. } => assert!(found < 240),
        other => panic!("expected Truncated, got {other}"),
    }
    std::fs::remove_dir_all(&tmp).ok();
}

/// Sampling every 500 ms skips decoding most non-reference frames of a clip with B-frames, yet returns frames at
/// the same times as decoding everything.
#[test]
fn sampling_skips_unneeded_frames_without_moving_samples() {
    let Some(dir) = videos() else { return };
    let path = dir.join("zwm_clip_01_tears_of_steel.mp4");
    let all: Vec<u64> = VideoReader::open(&path, 0, 1).expect("open").map(|f| f.expect("frame").t_ms).collect();
    let mut r = VideoReader::open(&path, 500, 1).expect("open");
    let sampled: Vec<u64> = r.by_ref().map(|f| f.expect("frame").t_ms).collect();
    let expect: Vec<u64> = (0..20).map(|k| *all.iter().find(|&&t| t >= k * 500).expect("a frame")).collect();
    assert_eq!(sampled, expect);
    assert_eq!(r.packets(), 240);
    eprintln!("decoded {} of 240 frames", r.decoded());
    assert!(r.decoded() < 200, "decoded {} of 240 frames", r.decoded());
}
