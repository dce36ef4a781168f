//! One output record per sample (what `mien analyze` prints and session CSV exports contain), with its CSV encoding.

use mien_core::Sample;
use serde::Serialize;

/// One line of output: the source, the time, the quality state, the primary face and the attitudes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record<'a> {
    pub source: &'a str,
    pub t_ms: u64,
    pub status: &'static str,
    pub face_count: u32,
    /// Primary face `[x1, y1, x2, y2]` in pixels.
    #[serde(rename = "box")]
    pub bbox: Option<[f32; 4]>,
    pub face_score: Option<f32>,
    /// `[negative, neutral, positive]`.
    pub attitude: Option<[f32; 3]>,
    pub label: Option<&'static str>,
    pub confidence: Option<f32>,
    pub smoothed: Option<[f32; 3]>,
    pub smoothed_label: Option<&'static str>,
    pub flags: Vec<&'static str>,
}

impl<'a> Record<'a> {
    pub fn new(source: &'a str, s: &Sample) -> Self {
        Self {
            source,
            t_ms: s.t_ms,
            status: s.status.name(),
            face_count: s.face_count,
            bbox: s.face.map(|f| [f.bbox.x1, f.bbox.y1, f.bbox.x2, f.bbox.y2]),
            face_score: s.face.map(|f| f.score),
            attitude: s.attitude.map(|a| *a.values()),
            label: s.label.map(|l| l.name()),
            confidence: s.attitude.map(|a| a.confidence()),
            smoothed: s.smoothed.map(|a| *a.values()),
            smoothed_label: s.smoothed_label.map(|l| l.name()),
            flags: s.flags.iter().map(|f| f.name()).collect(),
        }
    }
}

pub const CSV_HEADER: &str = "source,t_ms,status,face_count,x1,y1,x2,y2,face_score,p_negative,p_neutral,p_positive,\
label,confidence,s_negative,s_neutral,s_positive,smoothed_label,flags";

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn opt_arr<const N: usize>(v: Option<[f32; N]>) -> Vec<String> {
    match v {
        Some(a) => a.iter().map(|x| x.to_string()).collect(),
        None => vec![String::new(); N],
    }
}

impl Record<'_> {
    pub fn csv_row(&self) -> String {
        let mut cols =
            vec![csv_field(self.source), self.t_ms.to_string(), self.status.to_string(), self.face_count.to_string()];
        cols.extend(opt_arr(self.bbox));
        cols.push(opt(self.face_score));
        cols.extend(opt_arr(self.attitude));
        cols.push(opt(self.label));
        cols.push(opt(self.confidence));
        cols.extend(opt_arr(self.smoothed));
        cols.push(opt(self.smoothed_label));
        cols.push(csv_field(&self.flags.join(";")));
        cols.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_match_the_header_and_quote_paths() {
        let s = Sample::no_face(40);
        let r = Record::new("dir/a,b.jpg", &s);
        let row = r.csv_row();
        assert!(row.starts_with("\"dir/a,b.jpg\",40,no_face,0,"));
        // 19 columns once the quoted source counts as one
        let unquoted = row.replacen("\"dir/a,b.jpg\"", "x", 1);
        assert_eq!(unquoted.split(',').count(), CSV_HEADER.split(',').count());
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json["status"], "no_face");
        assert!(json["label"].is_null() && json["box"].is_null());
    }
}
