//! Live analysis: one worker thread owns the [`Analyzer`]; frames arrive faster or slower than it can analyse them,
//! and a one-frame mailbox keeps only the newest (a stale frame is replaced, never queued), so feedback never lags
//! behind the call. Results and errors stream back through a channel. This is what the desktop app's IPC layer
//! feeds raw camera frames into; it has no GUI dependency and is tested with fake models.

use std::{
    sync::{Arc, Condvar, Mutex, mpsc::Sender},
    thread::JoinHandle,
    time::Instant,
};

use mien_core::Sample;
use serde::Serialize;

use crate::{
    Analyzer, Result, VisionError,
    detection::Detection,
    frame::{DecodeLimits, PixelLayout, frame_from_raw},
};

/// A raw frame as the webview / camera delivers it.
#[derive(Debug, Clone)]
pub struct FrameIn {
    /// Capture time, milliseconds from the start of the session.
    pub t_ms: u64,
    pub width: u32,
    pub height: u32,
    pub layout: PixelLayout,
    pub data: Vec<u8>,
}

/// What the worker reports for each analysed frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    Sample {
        sample: Sample,
        faces: Vec<Detection>,
        /// From `submit` to the result: the delay the user sees.
        latency_ms: f64,
    },
    /// The frame could not be analysed (malformed, or the model failed); the session goes on.
    Error { t_ms: u64, message: String },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LiveStats {
    pub submitted: u64,
    /// Frames replaced by a newer one before the worker got to them.
    pub dropped: u64,
    pub analysed: u64,
    pub errors: u64,
}

#[derive(Default)]
struct State {
    pending: Option<(FrameIn, Instant)>,
    /// Time of the last frame accepted: a session's frame times must increase.
    last_t_ms: Option<u64>,
    paused: bool,
    stop: bool,
    stats: LiveStats,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// Reads a [`LiveAnalyzer`]'s counters; cheap to clone, usable after the analyzer stopped.
#[derive(Clone)]
pub struct LiveMonitor(Arc<Shared>);

impl std::fmt::Debug for LiveMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("LiveMonitor").field(&self.stats()).finish()
    }
}

impl LiveMonitor {
    pub fn stats(&self) -> LiveStats {
        self.0.state.lock().map(|s| s.stats).unwrap_or_else(|p| p.into_inner().stats)
    }
}

pub struct LiveAnalyzer {
    shared: Arc<Shared>,
    handle: Option<JoinHandle<Analyzer>>,
}

impl std::fmt::Debug for LiveAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveAnalyzer").field("stats", &self.stats()).finish()
    }
}

impl LiveAnalyzer {
    /// Start the worker; it owns `analyzer` until [`LiveAnalyzer::stop`] gives it back.
    pub fn start(mut analyzer: Analyzer, events: Sender<LiveEvent>) -> std::io::Result<Self> {
        let shared = Arc::new(Shared { state: Mutex::new(State::default()), wake: Condvar::new() });
        let s = shared.clone();
        let handle = std::thread::Builder::new().name("mien-live".into()).spawn(move || {
            let limits = DecodeLimits::default();
            loop {
                let (frame, submitted) = {
                    let mut st = s.state.lock().unwrap_or_else(|p| p.into_inner());
                    loop {
                        if st.stop {
                            return analyzer;
                        }
                        if !st.paused
                            && let Some(next) = st.pending.take()
                        {
                            break next;
                        }
                        st = s.wake.wait(st).unwrap_or_else(|p| p.into_inner());
                    }
                };
                let result = frame_from_raw(frame.width, frame.height, frame.layout, &frame.data, &limits)
                    .and_then(|img| analyzer.analyze(frame.t_ms, &img));
                let event = match result {
                    Ok(a) => LiveEvent::Sample {
                        sample: a.sample,
                        faces: a.faces,
                        latency_ms: submitted.elapsed().as_secs_f64() * 1000.0,
                    },
                    Err(e) => LiveEvent::Error { t_ms: frame.t_ms, message: e.to_string() },
                };
                {
                    let mut st = s.state.lock().unwrap_or_else(|p| p.into_inner());
                    match event {
                        LiveEvent::Sample { .. } => st.stats.analysed += 1,
                        LiveEvent::Error { .. } => st.stats.errors += 1,
                    }
                }
                if events.send(event).is_err() {
                    // Nobody listens any more: stop quietly.
                    return analyzer;
                }
            }
        })?;
        Ok(Self { shared, handle: Some(handle) })
    }

    /// Hand over a frame. Returns `false` when it replaced an older frame that had not been analysed yet, or when
    /// analysis is paused (the frame is discarded). A frame whose time is not after the previous frame's is refused
    /// (a timeline that goes back in time would corrupt the session's record).
    pub fn submit(&self, frame: FrameIn) -> Result<bool> {
        let mut st = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(last_ms) = st.last_t_ms.filter(|&last| frame.t_ms <= last) {
            return Err(VisionError::FrameTimeNotIncreasing { t_ms: frame.t_ms, last_ms });
        }
        st.last_t_ms = Some(frame.t_ms);
        st.stats.submitted += 1;
        if st.paused {
            return Ok(false);
        }
        let replaced = st.pending.replace((frame, Instant::now())).is_some();
        if replaced {
            st.stats.dropped += 1;
        }
        drop(st);
        self.shared.wake.notify_one();
        Ok(!replaced)
    }

    /// Pause or resume analysis. Nothing submitted while paused is analysed, not even after resuming.
    pub fn set_paused(&self, paused: bool) {
        let mut st = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
        st.paused = paused;
        if paused {
            st.pending = None; // nothing captured while paused is analysed
        }
        drop(st);
        self.shared.wake.notify_one();
    }

    pub fn stats(&self) -> LiveStats {
        self.monitor().stats()
    }

    /// A handle that reads the counters from another thread (e.g. the one forwarding results to the UI).
    pub fn monitor(&self) -> LiveMonitor {
        LiveMonitor(self.shared.clone())
    }

    /// Stop the worker (the frame being analysed finishes; a pending one is discarded) and get the analyzer back.
    pub fn stop(mut self) -> Option<Analyzer> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Option<Analyzer> {
        {
            let mut st = self.shared.state.lock().unwrap_or_else(|p| p.into_inner());
            st.stop = true;
            st.pending = None;
        }
        self.shared.wake.notify_one();
        self.handle.take().and_then(|h| h.join().ok())
    }
}

impl Drop for LiveAnalyzer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::mpsc, time::Duration};

    use image::RgbImage;
    use mien_core::{ExpressionProbs, FaceBox, Point};

    use super::*;
    use crate::{
        AnalyzerConfig,
        detection::FaceDetect,
        error::{Result, VisionError},
        expression::ExpressionModel,
    };

    /// A detector that takes `delay` per frame and finds one face.
    struct SlowDetector(Duration);
    impl FaceDetect for SlowDetector {
        fn name(&self) -> &str {
            "slow"
        }
        fn detect(&mut self, _: &RgbImage) -> Result<Vec<Detection>> {
            std::thread::sleep(self.0);
            Ok(vec![Detection {
                bbox: FaceBox::new(10.0, 10.0, 60.0, 60.0),
                score: 0.9,
                keypoints: [Point { x: 0.0, y: 0.0 }; 6],
                anchor: 0,
                merged: 1,
            }])
        }
    }
    struct Happy;
    impl ExpressionModel for Happy {
        fn id(&self) -> &str {
            "happy"
        }
        fn classify(&mut self, _: &RgbImage) -> Result<ExpressionProbs> {
            ExpressionProbs::new(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
                .map_err(|e| VisionError::BadModelOutput { model: "happy".into(), reason: e.to_string() })
        }
    }

    fn next_event(rx: &mpsc::Receiver<LiveEvent>, timeout: Duration) -> Option<LiveEvent> {
        rx.recv_timeout(timeout).ok()
    }

    fn frame(t_ms: u64) -> FrameIn {
        FrameIn { t_ms, width: 80, height: 80, layout: PixelLayout::Rgba8, data: vec![128; 80 * 80 * 4] }
    }

    fn worker(delay_ms: u64) -> (LiveAnalyzer, mpsc::Receiver<LiveEvent>) {
        let a = Analyzer::new(
            Box::new(SlowDetector(Duration::from_millis(delay_ms))),
            Box::new(Happy),
            AnalyzerConfig::default(),
        );
        let (tx, rx) = mpsc::channel();
        (LiveAnalyzer::start(a, tx).expect("start"), rx)
    }

    #[test]
    fn stale_frames_are_dropped_and_the_newest_is_analysed() {
        let (live, rx) = worker(30);
        for t in 0..50 {
            live.submit(frame(t * 2)).expect("increasing times");
        }
        // Within a few analysis periods the worker must have reported the newest frame.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut last = None;
        while Instant::now() < deadline {
            if let Some(LiveEvent::Sample { sample, latency_ms, .. }) = next_event(&rx, Duration::from_millis(200)) {
                assert!(latency_ms >= 0.0);
                last = Some(sample.t_ms);
                if sample.t_ms == 98 {
                    break;
                }
            }
        }
        assert_eq!(last, Some(98), "the newest frame is always analysed");
        let s = live.stats();
        assert_eq!(s.submitted, 50);
        assert!(s.dropped >= 40, "{s:?}");
        assert_eq!(s.analysed + s.dropped, 50, "{s:?}");
        assert!(live.stop().is_some());
    }

    #[test]
    fn malformed_frames_are_errors_and_the_session_goes_on() {
        let (live, rx) = worker(0);
        live.submit(FrameIn { data: vec![1, 2, 3], ..frame(0) }).expect("queued");
        match next_event(&rx, Duration::from_secs(5)) {
            Some(LiveEvent::Error { t_ms: 0, message }) => assert!(message.contains("invalid frame"), "{message}"),
            other => panic!("expected an error event, got {other:?}"),
        }
        live.submit(frame(100)).expect("queued");
        match next_event(&rx, Duration::from_secs(5)) {
            Some(LiveEvent::Sample { sample, .. }) => assert_eq!(sample.label, Some(mien_core::Attitude::Positive)),
            other => panic!("expected a sample, got {other:?}"),
        }
        assert_eq!(live.stats().errors, 1);
    }

    #[test]
    fn paused_frames_are_not_analysed() {
        let (live, rx) = worker(0);
        live.set_paused(true);
        live.submit(frame(0)).expect("accepted, then discarded");
        assert!(next_event(&rx, Duration::from_millis(200)).is_none(), "nothing while paused");
        live.set_paused(false);
        assert!(next_event(&rx, Duration::from_millis(200)).is_none(), "the frame captured while paused is gone");
        live.submit(frame(10)).expect("queued");
        assert!(matches!(next_event(&rx, Duration::from_secs(5)), Some(LiveEvent::Sample { .. })));
    }

    #[test]
    fn frame_times_must_increase() {
        let (live, rx) = worker(0);
        live.submit(frame(500)).expect("first");
        for t in [500, 400, 0] {
            let err = live.submit(frame(t)).expect_err("time going back");
            assert!(matches!(err, VisionError::FrameTimeNotIncreasing { t_ms, last_ms: 500 } if t_ms == t), "{err}");
        }
        assert_eq!(live.stats().submitted, 1, "refused frames are not counted");
        assert!(matches!(next_event(&rx, Duration::from_secs(5)), Some(LiveEvent::Sample { .. })));
        live.submit(frame(600)).expect("a later frame");
    }
}
