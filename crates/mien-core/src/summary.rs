//! Session summaries: pure functions over a timeline, the same for the app, the CLI and exports.
//!
//! Time model: sample *i* stands for the interval `[t_i, t_{i+1})`, the last one for `[t_n, end)`. An interval is
//! capped at [`SummaryConfig::max_sample_ms`] (a pause or a dropped stretch is *unobserved*, not visible or
//! invisible time). Attitude figures use the smoothed label when there is one (what the user saw), else the raw
//! label, and are shares of **face-visible** time: they sum to 1 whenever a face was visible at all.

use serde::{Deserialize, Serialize};

use crate::{Attitude, QualityFlag, Sample};

/// A point in the session marked by the interviewer ("asked about salary").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Marker {
    pub t_ms: u64,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SummaryConfig {
    /// Longest time one sample may stand for.
    pub max_sample_ms: u64,
    /// Length of the per-person baseline window at the start of the session.
    pub baseline_ms: u64,
}

impl Default for SummaryConfig {
    fn default() -> Self {
        Self { max_sample_ms: 2000, baseline_ms: 60_000 }
    }
}

/// Shares of face-visible time per attitude (all zero when no face was visible).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AttitudeShares {
    pub negative: f64,
    pub neutral: f64,
    pub positive: f64,
}

impl AttitudeShares {
    pub fn get(&self, a: Attitude) -> f64 {
        match a {
            Attitude::Negative => self.negative,
            Attitude::Neutral => self.neutral,
            Attitude::Positive => self.positive,
        }
    }

    fn from_ms(ms: [f64; 3]) -> Self {
        let total: f64 = ms.iter().sum();
        if total <= 0.0 {
            return Self::default();
        }
        Self { negative: ms[0] / total, neutral: ms[1] / total, positive: ms[2] / total }
    }

    pub fn sum(&self) -> f64 {
        self.negative + self.neutral + self.positive
    }

    /// Per-attitude difference `self - other` (a change between two ranges).
    pub fn minus(&self, other: &AttitudeShares) -> AttitudeShares {
        AttitudeShares {
            negative: self.negative - other.negative,
            neutral: self.neutral - other.neutral,
            positive: self.positive - other.positive,
        }
    }
}

/// Time-weighted figures of one time range.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RangeStats {
    pub start_ms: u64,
    pub end_ms: u64,
    /// Time covered by samples.
    pub observed_ms: f64,
    /// Time covered by samples with a face.
    pub visible_ms: f64,
    pub shares: AttitudeShares,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Segment {
    /// The marker that opens the segment (`None` for the part before the first marker).
    pub marker: Option<String>,
    pub stats: RangeStats,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Stretch {
    pub attitude: Attitude,
    pub start_ms: u64,
    pub end_ms: u64,
}

impl Stretch {
    pub fn duration_ms(&self) -> u64 {
        self.end_ms - self.start_ms
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Trend {
    pub first_third: RangeStats,
    pub last_third: RangeStats,
    /// last third minus first third, per attitude share.
    pub change: AttitudeShares,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Baseline {
    /// The first minute (or less) of the session.
    pub window: RangeStats,
    /// Whole-session share minus baseline share, per attitude: how the person differed from their own start.
    pub shift: AttitudeShares,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Summary {
    pub samples: usize,
    pub face_samples: usize,
    pub duration_ms: u64,
    pub overall: RangeStats,
    /// visible / observed time.
    pub face_visible_share: f64,
    pub longest_positive: Option<Stretch>,
    pub longest_negative: Option<Stretch>,
    pub segments: Vec<Segment>,
    pub trend: Trend,
    /// Mean probability of the chosen attitude over face-visible time.
    pub mean_confidence: Option<f64>,
    /// Share of face-visible time flagged low-confidence.
    pub low_confidence_share: f64,
    pub baseline: Option<Baseline>,
}

/// One sample's interval and what it saw.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: f64,
    end: f64,
    attitude: Option<Attitude>,
    confidence: f64,
    low_confidence: bool,
}

fn spans(samples: &[Sample], end_ms: u64, cfg: &SummaryConfig) -> Vec<Span> {
    let mut sorted: Vec<&Sample> = samples.iter().collect();
    sorted.sort_by_key(|s| s.t_ms);
    let cap = cfg.max_sample_ms as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let start = s.t_ms as f64;
            let next = sorted.get(i + 1).map_or(end_ms.max(s.t_ms) as f64, |n| n.t_ms as f64);
            let attitude = s.smoothed_label.or(s.label);
            Span {
                start,
                end: next.min(start + cap),
                attitude,
                confidence: s.smoothed.or(s.attitude).map_or(0.0, |a| f64::from(a.confidence())),
                low_confidence: s.has_flag(QualityFlag::LowConfidence),
            }
        })
        .collect()
}

fn overlap(span: &Span, start: f64, end: f64) -> f64 {
    (span.end.min(end) - span.start.max(start)).max(0.0)
}

fn range_stats(spans: &[Span], start_ms: u64, end_ms: u64) -> RangeStats {
    let (start, end) = (start_ms as f64, end_ms as f64);
    let mut observed = 0.0;
    let mut per = [0.0f64; 3];
    for s in spans {
        let d = overlap(s, start, end);
        observed += d;
        if let Some(a) = s.attitude {
            per[a.index()] += d;
        }
    }
    RangeStats {
        start_ms,
        end_ms,
        observed_ms: observed,
        visible_ms: per.iter().sum(),
        shares: AttitudeShares::from_ms(per),
    }
}

fn longest(spans: &[Span], attitude: Attitude) -> Option<Stretch> {
    // Runs of consecutive samples with this attitude; any other sample (or a gap) ends a run.
    let mut best: Option<Stretch> = None;
    let mut run: Option<(f64, f64)> = None;
    for s in spans.iter().map(Some).chain(std::iter::once(None)) {
        let extends = s.filter(|s| s.attitude == Some(attitude) && s.end > s.start);
        match (extends, run) {
            (Some(s), Some((start, end))) if (s.start - end).abs() < 0.5 => run = Some((start, s.end)),
            (next, current) => {
                if let Some((start, end)) = current {
                    let st = Stretch { attitude, start_ms: start as u64, end_ms: end as u64 };
                    if best.is_none_or(|b| st.duration_ms() > b.duration_ms()) {
                        best = Some(st);
                    }
                }
                run = next.map(|s| (s.start, s.end));
            }
        }
    }
    best
}

/// Summarise a timeline. `end_ms` is when the session ended (defaults to the last sample plus the median sampling
/// interval); markers split it into segments that partition `[0, end)`.
pub fn summarize(samples: &[Sample], markers: &[Marker], end_ms: Option<u64>, cfg: &SummaryConfig) -> Summary {
    let last = samples.iter().map(|s| s.t_ms).max().unwrap_or(0);
    let end = end_ms.unwrap_or_else(|| last + median_interval(samples)).max(last);
    let spans = spans(samples, end, cfg);
    let overall = range_stats(&spans, 0, end);

    // Segment starts: 0, then every marker time inside the session; a marker at an existing start names it.
    let mut sorted: Vec<&Marker> = markers.iter().filter(|m| m.t_ms < end).collect();
    sorted.sort_by_key(|m| m.t_ms);
    let mut starts: Vec<(u64, Option<String>)> = vec![(0, None)];
    for m in sorted {
        match starts.last_mut() {
            Some(last) if last.0 == m.t_ms => last.1 = Some(m.label.clone()),
            _ => starts.push((m.t_ms, Some(m.label.clone()))),
        }
    }
    let segments: Vec<Segment> = starts
        .iter()
        .enumerate()
        .map(|(i, (start, label))| {
            let seg_end = starts.get(i + 1).map_or(end, |n| n.0);
            Segment { marker: label.clone(), stats: range_stats(&spans, *start, seg_end) }
        })
        .collect();

    let third = end / 3;
    let first_third = range_stats(&spans, 0, third);
    let last_third = range_stats(&spans, end - third, end);
    let change = last_third.shares.minus(&first_third.shares);

    let visible: f64 = overall.visible_ms;
    let (mut conf, mut low) = (0.0, 0.0);
    for s in spans.iter().filter(|s| s.attitude.is_some()) {
        let d = s.end - s.start;
        conf += s.confidence * d;
        if s.low_confidence {
            low += d;
        }
    }
    let window = range_stats(&spans, 0, end.min(cfg.baseline_ms));
    let baseline =
        (window.visible_ms > 0.0).then_some(Baseline { window, shift: overall.shares.minus(&window.shares) });
    Summary {
        samples: samples.len(),
        face_samples: samples.iter().filter(|s| s.status.has_face()).count(),
        duration_ms: end,
        face_visible_share: if overall.observed_ms > 0.0 { visible / overall.observed_ms } else { 0.0 },
        overall,
        longest_positive: longest(&spans, Attitude::Positive),
        longest_negative: longest(&spans, Attitude::Negative),
        segments,
        trend: Trend { first_third, last_third, change },
        mean_confidence: (visible > 0.0).then(|| conf / visible),
        low_confidence_share: if visible > 0.0 { low / visible } else { 0.0 },
        baseline,
    }
}

fn median_interval(samples: &[Sample]) -> u64 {
    let mut t: Vec<u64> = samples.iter().map(|s| s.t_ms).collect();
    t.sort_unstable();
    let mut d: Vec<u64> = t.windows(2).map(|w| w[1] - w[0]).filter(|&d| d > 0).collect();
    if d.is_empty() {
        return 0;
    }
    d.sort_unstable();
    d[d.len() / 2]
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::{ExpressionProbs, FaceBox, FaceObservation, QualityThresholds};

    fn face(t: u64, a: Attitude) -> Sample {
        let mut v = [0.02f32; 7];
        let i = match a {
            Attitude::Positive => 3,
            Attitude::Neutral => 6,
            Attitude::Negative => 0,
        };
        v[i] = 0.88;
        let p = ExpressionProbs::new(&v).expect("valid");
        let obs = FaceObservation { bbox: FaceBox::new(100.0, 100.0, 200.0, 200.0), score: 0.9 };
        Sample::with_face(t, 1, obs, p, (640, 480), &QualityThresholds::default())
    }

    fn timeline(labels: &[Option<Attitude>], step: u64) -> Vec<Sample> {
        labels
            .iter()
            .enumerate()
            .map(|(i, a)| match a {
                Some(a) => face(i as u64 * step, *a),
                None => Sample::no_face(i as u64 * step),
            })
            .collect()
    }

    use Attitude::{Negative as N, Neutral as Z, Positive as P};

    #[test]
    fn shares_stretches_and_visibility() {
        let s = timeline(&[Some(P), Some(P), Some(P), None, Some(N), Some(Z), Some(P), Some(P)], 100);
        let sum = summarize(&s, &[], Some(800), &SummaryConfig::default());
        assert_eq!(sum.duration_ms, 800);
        assert!((sum.face_visible_share - 7.0 / 8.0).abs() < 1e-9);
        assert!((sum.overall.shares.positive - 5.0 / 7.0).abs() < 1e-9);
        assert!((sum.overall.shares.sum() - 1.0).abs() < 1e-9);
        let lp = sum.longest_positive.expect("some");
        assert_eq!((lp.start_ms, lp.end_ms), (0, 300));
        let ln = sum.longest_negative.expect("some");
        assert_eq!((ln.start_ms, ln.end_ms), (400, 500));
        assert!(sum.mean_confidence.expect("some") > 0.8);
    }

    #[test]
    fn markers_make_segments_with_their_own_shares() {
        let s = timeline(&[Some(Z), Some(Z), Some(P), Some(P)], 1000);
        let m = vec![Marker { t_ms: 2000, label: "asked about salary".into() }];
        let sum = summarize(&s, &m, Some(4000), &SummaryConfig::default());
        assert_eq!(sum.segments.len(), 2);
        assert_eq!(sum.segments[0].marker, None);
        assert_eq!(sum.segments[0].stats.shares.neutral, 1.0);
        assert_eq!(sum.segments[1].marker.as_deref(), Some("asked about salary"));
        assert_eq!((sum.segments[1].stats.start_ms, sum.segments[1].stats.end_ms), (2000, 4000));
        assert_eq!(sum.segments[1].stats.shares.positive, 1.0);
        // trend: neutral at the start, positive at the end
        assert!(sum.trend.change.positive > 0.99);
        // baseline: the first minute is the whole session here, so no shift
        assert!(sum.baseline.expect("some").shift.positive.abs() < 1e-9);
    }

    #[test]
    fn gaps_are_unobserved_not_invisible() {
        let s = vec![face(0, P), face(100_000, P)];
        let sum = summarize(&s, &[], Some(100_100), &SummaryConfig::default());
        assert!((sum.overall.observed_ms - 2100.0).abs() < 1e-9, "{}", sum.overall.observed_ms);
        assert_eq!(sum.face_visible_share, 1.0);
    }

    #[test]
    fn baseline_shift_against_the_first_minute() {
        let mut s: Vec<Sample> = (0..60).map(|i| face(i * 1000, Z)).collect();
        s.extend((60..120).map(|i| face(i * 1000, P)));
        let sum = summarize(&s, &[], Some(120_000), &SummaryConfig::default());
        let b = sum.baseline.expect("some");
        assert_eq!(b.window.shares.neutral, 1.0);
        assert!((b.shift.positive - 0.5).abs() < 1e-9);
    }

    #[test]
    fn empty_and_faceless_timelines() {
        let sum = summarize(&[], &[], None, &SummaryConfig::default());
        assert_eq!(sum.overall.shares.sum(), 0.0);
        assert!(sum.mean_confidence.is_none() && sum.baseline.is_none());
        let s = timeline(&[None, None], 500);
        let sum = summarize(&s, &[], None, &SummaryConfig::default());
        assert_eq!(sum.face_visible_share, 0.0);
        assert!(sum.longest_positive.is_none());
    }

    fn arb_label() -> impl Strategy<Value = Option<Attitude>> {
        prop_oneof![Just(None), Just(Some(N)), Just(Some(Z)), Just(Some(P))]
    }

    proptest! {
        #[test]
        fn shares_sum_to_one_and_segments_partition(
            labels in proptest::collection::vec(arb_label(), 1..80),
            gaps in proptest::collection::vec(1u64..3000, 80),
            marks in proptest::collection::vec(0u64..200_000, 0..6),
        ) {
            let mut t = 0;
            let samples: Vec<Sample> = labels.iter().zip(&gaps).map(|(a, g)| {
                let s = match a { Some(a) => face(t, *a), None => Sample::no_face(t) };
                t += g;
                s
            }).collect();
            let markers: Vec<Marker> = marks.iter().map(|&m| Marker { t_ms: m, label: format!("m{m}") }).collect();
            let sum = summarize(&samples, &markers, None, &SummaryConfig::default());
            if sum.overall.visible_ms > 0.0 {
                prop_assert!((sum.overall.shares.sum() - 1.0).abs() < 1e-9);
            } else {
                prop_assert_eq!(sum.overall.shares.sum(), 0.0);
            }
            // segments are contiguous, start at 0, end at the end, and their times add up
            prop_assert_eq!(sum.segments[0].stats.start_ms, 0);
            prop_assert_eq!(sum.segments.last().expect("one").stats.end_ms, sum.duration_ms);
            for w in sum.segments.windows(2) {
                prop_assert_eq!(w[0].stats.end_ms, w[1].stats.start_ms);
                prop_assert!(w[0].stats.start_ms < w[0].stats.end_ms);
            }
            let seg_obs: f64 = sum.segments.iter().map(|s| s.stats.observed_ms).sum();
            let seg_vis: f64 = sum.segments.iter().map(|s| s.stats.visible_ms).sum();
            prop_assert!((seg_obs - sum.overall.observed_ms).abs() < 1e-6);
            prop_assert!((seg_vis - sum.overall.visible_ms).abs() < 1e-6);
            for seg in &sum.segments {
                let s = seg.stats.shares.sum();
                prop_assert!(s == 0.0 || (s - 1.0).abs() < 1e-9);
            }
            prop_assert!((0.0..=1.0).contains(&sum.face_visible_share));
            prop_assert!((0.0..=1.0).contains(&sum.low_confidence_share));
        }
    }
}
