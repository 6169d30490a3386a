//! Exports of a run's recorded diagnostics: every kept sample of every series, as CSV (long
//! form: one `series,t,value` row per sample) or JSON, headed by the scenario link and a plain
//! statement of how each series was decimated, so nothing is lost silently.

use serde::Serialize;

pub use crate::core::history::Series;

/// A run's recorded history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct History {
    /// The scenario's share link.
    pub link: String,
    /// The simulation's link token.
    pub sim: String,
    /// The run's time at export.
    pub t: f64,
    /// How the run was sampled, for the reader (e.g. thinning of long runs).
    pub note: String,
    /// The series.
    pub series: Vec<Series>,
}

impl History {
    /// The decimation statement: per series, or that every sample is kept.
    pub fn decimation(&self) -> String {
        let decimated: Vec<String> = self
            .series
            .iter()
            .filter(|s| !s.decimation.is_empty())
            .map(|s| format!("{}: {}", s.name, s.decimation))
            .collect();
        if decimated.is_empty() {
            "none: every recorded sample is included".to_owned()
        } else {
            decimated.join("; ")
        }
    }

    /// CSV: `#` comment lines (link, time, sampling, decimation), then `series,t,value` rows
    /// with numbers in shortest round-trip form (NaN and infinities as written by Rust).
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        out.push_str("# stepscope diagnostics history\n");
        out.push_str(&format!("# link: ?{}\n", self.link.trim_start_matches('?')));
        out.push_str(&format!(
            "# simulation: {}, exported at t = {}\n",
            self.sim, self.t
        ));
        if !self.note.is_empty() {
            out.push_str(&format!("# sampling: {}\n", self.note));
        }
        out.push_str(&format!("# decimation: {}\n", self.decimation()));
        out.push_str("series,t,value\n");
        for s in &self.series {
            for [t, v] in &s.points {
                out.push_str(&format!("{},{t:e},{v:e}\n", s.name));
            }
        }
        out
    }

    /// JSON: the same content (non-finite values as null).
    pub fn to_json(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        value["decimation"] = serde_json::Value::String(self.decimation());
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::history::DecimatingSeries;

    #[test]
    fn every_kept_sample_is_written_and_decimation_is_stated() {
        let mut long = DecimatingSeries::new(8);
        for k in 0..100 {
            long.push(f64::from(k), f64::from(k * k));
        }
        let history = History {
            link: "s=nlse&case=soliton".into(),
            sim: "nlse".into(),
            t: 99.0,
            note: String::new(),
            series: vec![
                Series::decimated("energy", &long),
                Series::complete("h", vec![[0.0, 0.1], [0.1, f64::NAN]]),
            ],
        };
        let csv = history.to_csv();
        let rows: Vec<&str> = csv.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(rows[0], "series,t,value");
        assert_eq!(rows.len(), 1 + long.points().len() + 2);
        assert!(csv.contains("# link: ?s=nlse&case=soliton"));
        assert!(csv.contains(&format!("energy: one sample in {} kept", long.stride())));
        assert!(long.stride() > 1);
        // Values round-trip: the last energy sample parses back to what was kept.
        let last = rows
            .iter()
            .rfind(|r| r.starts_with("energy,"))
            .expect("energy rows");
        let value: f64 = last
            .rsplit(',')
            .next()
            .expect("value")
            .parse()
            .expect("number");
        assert_eq!(value, long.last().expect("kept")[1]);
        let json: serde_json::Value = serde_json::from_str(&history.to_json()).expect("JSON");
        assert_eq!(json["series"][1]["points"][1][1], serde_json::Value::Null);
        assert!(
            json["decimation"]
                .as_str()
                .is_some_and(|d| d.contains("energy"))
        );
        let complete = History {
            series: vec![Series::complete("h", vec![[0.0, 1.0]])],
            ..history
        };
        assert!(complete.to_csv().contains("# decimation: none"));
    }
}
