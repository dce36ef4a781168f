//! A small PDF 1.4 writer (A4 pages, the standard Helvetica fonts, lines, rectangles and text) and the session
//! report drawn with it. Standard fonts need no embedding, so the file stays small and the writer stays ~300 lines;
//! text outside Windows-1252 is replaced by `?` (the report's own text is ASCII; user text may not be).

use std::fmt::Write as _;

use mien_core::{Attitude, summary::AttitudeShares};
use mien_store::SessionExport;

const PAGE_W: f64 = 595.28;
const PAGE_H: f64 = 841.89;
const MARGIN: f64 = 50.0;
const CONTENT_W: f64 = PAGE_W - 2.0 * MARGIN;

/// Colours of the three attitudes (RGB 0..1), the same as the app's.
fn colour(a: Attitude) -> (f64, f64, f64) {
    match a {
        Attitude::Negative => (0.76, 0.33, 0.29),
        Attitude::Neutral => (0.55, 0.58, 0.62),
        Attitude::Positive => (0.15, 0.52, 0.52),
    }
}

/// Encode `s` as a PDF literal string in WinAnsiEncoding (escaping `(`, `)` and `\`).
pub fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('(');
    for c in s.chars() {
        let byte: u8 = match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
                continue;
            }
            ' '..='~' => {
                out.push(c);
                continue;
            }
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201c}' => 0x93,
            '\u{201d}' => 0x94,
            '\u{2022}' => 0x95,
            '\u{20ac}' => 0x80,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            _ => {
                out.push('?');
                continue;
            }
        };
        let _ = write!(out, "\\{byte:03o}");
    }
    out.push(')');
    out
}

/// Approximate width of `s` in Helvetica at `size` points (average glyph widths; good enough for wrapping).
fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | '\'' | '|' | '!' | ':' | ';' => 0.25,
            'f' | 't' | 'r' | ' ' | '(' | ')' | '-' => 0.33,
            'm' | 'w' | 'M' | 'W' | '%' => 0.85,
            'A'..='Z' => 0.68,
            _ => 0.55,
        })
        .sum::<f64>()
        * size
}

/// Greedy word wrap to `width` points.
fn wrap(text: &str, size: f64, width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
            if text_width(&candidate, size) > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line = word.to_string();
            } else {
                line = candidate;
            }
        }
        lines.push(line);
    }
    lines
}

/// Pages being drawn, top to bottom, with a cursor.
#[derive(Debug, Default)]
pub struct Doc {
    pages: Vec<String>,
    y: f64,
}

impl Doc {
    pub fn new() -> Self {
        let mut d = Self::default();
        d.new_page();
        d
    }

    fn page(&mut self) -> &mut String {
        if self.pages.is_empty() {
            self.pages.push(String::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub fn new_page(&mut self) {
        self.pages.push(String::new());
        self.y = PAGE_H - MARGIN;
    }

    /// Start a new page unless `height` points fit above the bottom margin.
    pub fn ensure(&mut self, height: f64) {
        if self.y - height < MARGIN + 20.0 {
            self.new_page();
        }
    }

    pub fn text_at(&mut self, x: f64, y: f64, size: f64, bold: bool, s: &str) {
        let font = if bold { "F2" } else { "F1" };
        let lit = literal(s);
        let _ = writeln!(self.page(), "BT /{font} {size} Tf {x:.2} {y:.2} Td {lit} Tj ET");
    }

    /// A line of text at the cursor; moves the cursor down.
    pub fn line(&mut self, size: f64, bold: bool, s: &str) {
        self.ensure(size * 1.4);
        self.y -= size * 1.4;
        let y = self.y;
        self.text_at(MARGIN, y, size, bold, s);
    }

    /// A wrapped paragraph at the cursor.
    pub fn paragraph(&mut self, size: f64, s: &str) {
        for l in wrap(s, size, CONTENT_W) {
            self.line(size, false, &l);
        }
    }

    pub fn heading(&mut self, s: &str) {
        self.ensure(40.0);
        self.y -= 8.0;
        self.line(13.0, true, s);
        self.y -= 2.0;
    }

    pub fn gap(&mut self, h: f64) {
        self.y -= h;
    }

    pub fn fill_rect(&mut self, x: f64, y: f64, w: f64, h: f64, rgb: (f64, f64, f64)) {
        let (r, g, b) = rgb;
        let _ = writeln!(self.page(), "{r:.3} {g:.3} {b:.3} rg {x:.2} {y:.2} {w:.2} {h:.2} re f 0 g");
    }

    pub fn stroke_line(&mut self, from: (f64, f64), to: (f64, f64), width: f64, rgb: (f64, f64, f64)) {
        let (r, g, b) = rgb;
        let _ = writeln!(
            self.page(),
            "{r:.3} {g:.3} {b:.3} RG {width:.2} w {:.2} {:.2} m {:.2} {:.2} l S 0 G",
            from.0,
            from.1,
            to.0,
            to.1
        );
    }

    /// A polyline; `None` points break it (time without a face is a gap, not a line).
    pub fn polyline(&mut self, points: &[Option<(f64, f64)>], width: f64, rgb: (f64, f64, f64)) {
        let (r, g, b) = rgb;
        let mut path = format!("{r:.3} {g:.3} {b:.3} RG {width:.2} w 1 j\n");
        let mut open = false;
        for p in points {
            match p {
                Some((x, y)) => {
                    let op = if open { "l" } else { "m" };
                    let _ = writeln!(path, "{x:.2} {y:.2} {op}");
                    open = true;
                }
                None => open = false,
            }
        }
        path.push_str("S 0 G\n");
        self.page().push_str(&path);
    }

    /// The finished file; every page gets a footer `footer — page n of m`.
    pub fn finish(mut self, footer: &str) -> Vec<u8> {
        let n = self.pages.len();
        for i in 0..n {
            let text = format!("{footer} \u{2014} page {} of {n}", i + 1);
            let lit = literal(&text);
            let _ = writeln!(self.pages[i], "0.4 g BT /F1 8 Tf {MARGIN:.2} 30 Td {lit} Tj ET 0 g");
        }
        let mut objects: Vec<Vec<u8>> = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            Vec::new(), // pages, filled in below
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_vec(),
        ];
        let mut kids = Vec::new();
        for content in &self.pages {
            let page_id = objects.len() + 1;
            kids.push(format!("{page_id} 0 R"));
            objects.push(
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R \
                     /F2 4 0 R >> >> /Contents {} 0 R >>",
                    page_id + 1
                )
                .into_bytes(),
            );
            let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
            stream.extend_from_slice(content.as_bytes());
            stream.extend_from_slice(b"\nendstream");
            objects.push(stream);
        }
        objects[1] = format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), kids.len()).into_bytes();

        let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::with_capacity(objects.len());
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for o in offsets {
            let _ = writeln!(table, "{o:010} 00000 n ");
        }
        let _ = write!(table, "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
        out.extend_from_slice(table.as_bytes());
        out
    }
}

/// `m:ss` or `h:mm:ss`.
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

fn pct(v: f64) -> String {
    format!("{:.0} %", v * 100.0)
}

fn signed_pp(v: f64) -> String {
    format!("{:+.0} pp", v * 100.0)
}

fn shares_line(s: &AttitudeShares) -> String {
    format!("negative {}, neutral {}, positive {}", pct(s.negative), pct(s.neutral), pct(s.positive))
}

/// The session report as a PDF file.
pub fn report(e: &SessionExport) -> Vec<u8> {
    let mut d = Doc::new();
    let s = &e.session;
    let sum = &e.summary;
    d.line(18.0, true, &format!("Mien session report \u{2014} session {}", s.id));
    d.gap(4.0);
    let who = [
        s.candidate_ref.as_deref().map(|c| format!("candidate {c}")),
        s.role.as_deref().map(|r| format!("role {r}")),
        s.interviewer.as_deref().map(|i| format!("interviewer {i}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    d.line(
        10.0,
        false,
        &format!(
            "{} session, {} source{}",
            s.kind.name(),
            s.source.name(),
            match &s.source_name {
                Some(n) => format!(" ({n})"),
                None => String::new(),
            }
        ),
    );
    if !who.is_empty() {
        d.line(10.0, false, &who);
    }
    d.line(
        10.0,
        false,
        &format!(
            "Started {} UTC, duration {}, status {}",
            s.started_at.format("%Y-%m-%d %H:%M"),
            clock(sum.duration_ms),
            s.status.name()
        ),
    );
    d.line(10.0, false, &format!("Model {}, execution provider {}", s.model, s.provider));
    if let Some(c) = &s.consent {
        d.line(
            10.0,
            false,
            &format!(
                "Consent: {} ({}), notice {}, recorded by {} at {} UTC",
                c.method.name(),
                "candidate agreed",
                c.notice_version,
                c.recorded_by,
                c.recorded_at.format("%Y-%m-%d %H:%M")
            ),
        );
    }

    d.heading("Time shares (of time with a visible face)");
    for a in Attitude::ALL {
        d.ensure(18.0);
        d.y -= 16.0;
        let y = d.y;
        let share = sum.overall.shares.get(a);
        d.text_at(MARGIN, y + 2.0, 10.0, false, a.name());
        d.fill_rect(MARGIN + 70.0, y, 300.0, 10.0, (0.92, 0.93, 0.94));
        d.fill_rect(MARGIN + 70.0, y, 300.0 * share.clamp(0.0, 1.0), 10.0, colour(a));
        d.text_at(MARGIN + 380.0, y + 2.0, 10.0, false, &pct(share));
    }

    d.heading("Timeline (smoothed attitude probabilities; gaps: no face)");
    timeline(&mut d, e);

    if let Some(b) = &sum.baseline {
        d.heading("Baseline shift");
        d.paragraph(
            10.0,
            &format!(
                "First {} of the session: {}. Whole session minus that baseline: negative {}, neutral {}, positive {}. \
                 A shift compares the person with their own start, not with other people.",
                clock(b.window.end_ms.saturating_sub(b.window.start_ms)),
                shares_line(&b.window.shares),
                signed_pp(b.shift.negative),
                signed_pp(b.shift.neutral),
                signed_pp(b.shift.positive)
            ),
        );
    }
    d.line(
        10.0,
        false,
        &format!(
            "Trend, last third minus first third: negative {}, neutral {}, positive {}",
            signed_pp(sum.trend.change.negative),
            signed_pp(sum.trend.change.neutral),
            signed_pp(sum.trend.change.positive)
        ),
    );

    d.heading("Segments (between markers)");
    let cols = [0.0, 190.0, 270.0, 335.0, 390.0, 445.0];
    let header = ["segment", "from - to", "face visible", "negative", "neutral", "positive"];
    d.ensure(16.0);
    d.y -= 14.0;
    let y = d.y;
    for (c, h) in cols.iter().zip(header) {
        d.text_at(MARGIN + c, y, 9.0, true, h);
    }
    for seg in &sum.segments {
        d.ensure(14.0);
        d.y -= 13.0;
        let y = d.y;
        let st = &seg.stats;
        let name = seg.marker.clone().unwrap_or_else(|| "(start)".into());
        let name = wrap(&name, 9.0, 180.0).into_iter().next().unwrap_or_default();
        let visible = if st.observed_ms > 0.0 { st.visible_ms / st.observed_ms } else { 0.0 };
        let row = [
            name,
            format!("{} - {}", clock(st.start_ms), clock(st.end_ms)),
            pct(visible),
            pct(st.shares.negative),
            pct(st.shares.neutral),
            pct(st.shares.positive),
        ];
        for (c, v) in cols.iter().zip(row) {
            d.text_at(MARGIN + c, y, 9.0, false, &v);
        }
    }

    d.heading("Data quality");
    d.line(
        10.0,
        false,
        &format!(
            "{} samples, {} with a face; a face was visible {} of the observed time",
            sum.samples,
            sum.face_samples,
            pct(sum.face_visible_share)
        ),
    );
    d.line(
        10.0,
        false,
        &format!(
            "Mean confidence {}; low-confidence share {}",
            sum.mean_confidence.map(pct).unwrap_or_else(|| "n/a".into()),
            pct(sum.low_confidence_share)
        ),
    );
    for (label, stretch) in [("positive", &sum.longest_positive), ("negative", &sum.longest_negative)] {
        if let Some(st) = stretch {
            d.line(10.0, false, &format!("Longest {label} stretch: {} - {}", clock(st.start_ms), clock(st.end_ms)));
        }
    }

    if !e.notes.is_empty() || !e.markers.is_empty() {
        d.heading("Markers and notes");
        for m in &e.markers {
            d.paragraph(10.0, &format!("{}  marker: {}", clock(m.t_ms), m.label));
        }
        for n in &e.notes {
            let at = n.t_ms.map(clock).unwrap_or_else(|| "-".into());
            d.paragraph(10.0, &format!("{at}  note: {}", n.text));
        }
    }

    d.heading("Limits of the method");
    d.paragraph(10.0, &e.limits);
    d.finish(&format!("Mien report, session {}, exported {} UTC", s.id, e.exported_at.format("%Y-%m-%d %H:%M")))
}

fn timeline(d: &mut Doc, e: &SessionExport) {
    let h = 130.0;
    d.ensure(h + 40.0);
    d.y -= h + 6.0;
    let (x0, y0, w) = (MARGIN + 30.0, d.y, CONTENT_W - 30.0);
    let end = e.summary.duration_ms.max(e.samples.last().map(|s| s.t_ms).unwrap_or(0)).max(1) as f64;
    let grey = (0.8, 0.8, 0.8);
    d.stroke_line((x0, y0), (x0 + w, y0), 0.5, grey);
    d.stroke_line((x0, y0), (x0, y0 + h), 0.5, grey);
    for frac in [0.0, 0.5, 1.0] {
        let y = y0 + h * frac;
        d.stroke_line((x0, y), (x0 + w, y), 0.3, (0.9, 0.9, 0.9));
        d.text_at(MARGIN, y - 3.0, 8.0, false, &pct(frac));
    }
    for i in 0..=4 {
        let t = end * i as f64 / 4.0;
        d.text_at(x0 + w * i as f64 / 4.0 - 8.0, y0 - 11.0, 8.0, false, &clock(t as u64));
    }
    for m in &e.markers {
        let x = x0 + w * (m.t_ms as f64 / end).min(1.0);
        d.stroke_line((x, y0), (x, y0 + h), 0.6, (0.2, 0.2, 0.2));
        let label = wrap(&m.label, 7.0, 90.0).into_iter().next().unwrap_or_default();
        d.text_at(x + 2.0, y0 + h - 8.0, 7.0, false, &label);
    }
    // At most ~1000 points per line: average samples into buckets (about 3 samples each, so jitter in the sampling
    // times leaves no false gaps; an empty bucket means no face) so long sessions stay small and readable.
    let buckets = 1000usize.min(e.samples.len() / 3).max(1);
    for a in Attitude::ALL {
        let mut acc: Vec<(f64, u32)> = vec![(0.0, 0); buckets];
        for s in &e.samples {
            let Some(p) = s.smoothed.or(s.attitude) else { continue };
            let b = ((s.t_ms as f64 / end) * buckets as f64).min(buckets as f64 - 1.0) as usize;
            acc[b].0 += f64::from(p.get(a));
            acc[b].1 += 1;
        }
        let points: Vec<Option<(f64, f64)>> = acc
            .iter()
            .enumerate()
            .map(|(i, &(sum, n))| {
                (n > 0).then(|| (x0 + w * (i as f64 + 0.5) / buckets as f64, y0 + h * sum / f64::from(n)))
            })
            .collect();
        d.polyline(&points, 1.1, colour(a));
    }
    // legend
    d.y -= 24.0;
    let y = d.y;
    for (i, a) in Attitude::ALL.into_iter().enumerate() {
        let x = x0 + i as f64 * 90.0;
        d.fill_rect(x, y + 1.0, 10.0, 6.0, colour(a));
        d.text_at(x + 14.0, y, 8.0, false, a.name());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every object the cross-reference table points at starts there, and the trailer points at the table.
    fn check_structure(pdf: &[u8]) -> usize {
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        // one ASCII char per byte, so string offsets are byte offsets
        let text: String = pdf.iter().map(|&b| if b.is_ascii() { b as char } else { '~' }).collect();
        let sx = text.rfind("startxref\n").expect("startxref");
        let xref: usize = text[sx + 10..].lines().next().expect("offset").parse().expect("number");
        assert!(text[xref..].starts_with("xref\n"), "startxref does not point at the table");
        let mut lines = text[xref..].lines().skip(1);
        let count: usize = lines.next().expect("subsection").split(' ').nth(1).expect("count").parse().expect("n");
        lines.next(); // free entry
        for i in 1..count {
            let off: usize = lines.next().expect("entry")[..10].parse().expect("offset");
            assert!(text[off..].starts_with(&format!("{i} 0 obj\n")), "object {i} is not at {off}");
        }
        for m in text.match_indices("/Length ") {
            let rest = &text[m.0 + 8..];
            let len: usize = rest[..rest.find(' ').expect("len")].parse().expect("length");
            let start = m.0 + rest.find("stream\n").expect("stream") + 8 + 7;
            assert!(text[start + len..].starts_with("\nendstream"), "wrong /Length");
        }
        count - 1
    }

    #[test]
    fn literal_strings_escape_and_encode() {
        assert_eq!(literal("a(b)c\\"), "(a\\(b\\)c\\\\)");
        assert_eq!(literal("é\u{2014}\u{4e2d}"), "(\\351\\227?)");
    }

    #[test]
    fn wrapping_keeps_every_word_and_the_width() {
        let text = "word ".repeat(200);
        let lines = wrap(&text, 10.0, 200.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|l| text_width(l, 10.0) <= 200.0));
        assert_eq!(lines.iter().map(|l| l.split_whitespace().count()).sum::<usize>(), 200);
    }

    #[test]
    fn report_is_a_well_formed_pdf_with_the_figures() {
        let e = crate::tests::sample_export();
        let pdf = report(&e);
        let objects = check_structure(&pdf);
        assert!(objects >= 6);
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains(&format!("session {}", e.session.id)));
        assert!(text.contains("Question 2: salary \\(\\351\\)"), "marker label escaped and encoded");
        assert!(text.contains("Limits of the method"));
        assert!(text.contains(&pct(e.summary.overall.shares.positive)));
    }

    #[test]
    fn long_content_flows_onto_more_pages() {
        let mut e = crate::tests::sample_export();
        e.notes = (0..120)
            .map(|i| mien_store::Note {
                id: i,
                t_ms: Some(i as u64 * 1000),
                text: format!("note {i} ").repeat(12),
                created_at: e.exported_at,
            })
            .collect();
        let pdf = report(&e);
        let text = String::from_utf8_lossy(&pdf);
        let pages = text.matches("/Type /Page ").count();
        assert!(pages >= 3, "{pages} pages");
        assert!(text.contains(&format!("page {pages} of {pages}")));
        check_structure(&pdf);
    }

    #[test]
    fn empty_session_still_renders() {
        let mut e = crate::tests::sample_export();
        e.samples.clear();
        e.markers.clear();
        e.notes.clear();
        e.summary = mien_core::summarize(&[], &[], None, &Default::default());
        check_structure(&report(&e));
    }
}
