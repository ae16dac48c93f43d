//! The bench's table, as printed and as JSON (target/xtask/bench.json).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::Size;

/// A figure measured several times: its median and its spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Measured {
    /// The median (the lower middle of an even count), min and max of the samples.
    pub fn of(samples: &[f64]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let middle = sorted.len().saturating_sub(1) / 2;
        Self {
            median: sorted.get(middle).copied().unwrap_or(f64::NAN),
            min: sorted.first().copied().unwrap_or(f64::NAN),
            max: sorted.last().copied().unwrap_or(f64::NAN),
        }
    }

    /// A figure measured once (a zip's size).
    pub fn once(value: f64) -> Self {
        Self::of(&[value])
    }
}

/// One row of the table: Rust, Node.js, and for throughput the limit of this machine.
#[derive(Debug, Clone)]
pub struct Row {
    figure: String,
    unit: &'static str,
    rust: Measured,
    node: Measured,
    limit: Option<Measured>,
    higher_is_better: bool,
}

impl Row {
    pub fn higher_is_better(
        figure: String,
        unit: &'static str,
        rust: Measured,
        node: Measured,
    ) -> Self {
        Self {
            figure,
            unit,
            rust,
            node,
            limit: None,
            higher_is_better: true,
        }
    }

    pub fn lower_is_better(
        figure: String,
        unit: &'static str,
        rust: Measured,
        node: Measured,
    ) -> Self {
        Self {
            figure,
            unit,
            rust,
            node,
            limit: None,
            higher_is_better: false,
        }
    }

    pub fn with_limit(mut self, limit: Measured) -> Self {
        self.limit = Some(limit);
        self
    }

    /// How many times better Rust is than Node.js, by the medians.
    pub fn advantage(&self) -> f64 {
        match self.higher_is_better {
            true => self.rust.median / self.node.median,
            false => self.node.median / self.rust.median,
        }
    }

    /// Rust's median as a fraction of the limit's.
    pub fn of_limit(&self) -> Option<f64> {
        self.limit.map(|limit| self.rust.median / limit.median)
    }
}

pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<44} {:>24} {:>24} {:>24}  {:<9} {:>8} {:>9}",
        "figure (median, min-max)", "Rust", "Node.js", "limit", "unit", "Rust/Node", "Rust/limit"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "{:<44} {:>24} {:>24} {:>24}  {:<9} {:>8}x {:>9}",
            row.figure,
            spread(row.rust),
            spread(row.node),
            row.limit.map_or("-".to_owned(), spread),
            row.unit,
            format_figure(row.advantage()),
            row.of_limit()
                .map_or("-".to_owned(), |f| format!("{:.0}%", f * 100.0)),
        );
    }
    out
}

/// `1234 (1200-1300)`, or the figure alone when it was measured once.
fn spread(measured: Measured) -> String {
    if measured.min == measured.max {
        return format_figure(measured.median);
    }
    format!(
        "{} ({}-{})",
        format_figure(measured.median),
        format_figure(measured.min),
        format_figure(measured.max)
    )
}

fn format_figure(value: f64) -> String {
    if value >= 1000.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// Each row's medians as `rust`, `node` and `limit`, each with its `_min` and `_max`.
pub fn report_json(rows: &[Row], size: Size) -> Value {
    let side =
        |row: &mut serde_json::Map<String, Value>, name: &str, measured: Option<Measured>| {
            let values = measured.map_or([None; 3], |m| [Some(m.median), Some(m.min), Some(m.max)]);
            for (suffix, value) in ["", "_min", "_max"].iter().zip(values) {
                row.insert(format!("{name}{suffix}"), json!(value));
            }
        };
    json!({
        "size": format!("{size:?}").to_lowercase(),
        "rows": rows.iter().map(|row| {
            let mut object = serde_json::Map::new();
            object.insert("figure".to_owned(), json!(row.figure));
            object.insert("unit".to_owned(), json!(row.unit));
            side(&mut object, "rust", Some(row.rust));
            side(&mut object, "node", Some(row.node));
            side(&mut object, "limit", row.limit);
            object.insert("rust_advantage".to_owned(), json!(row.advantage()));
            object.insert("rust_of_limit".to_owned(), json!(row.of_limit()));
            Value::Object(object)
        }).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_spreads_and_the_json_a_script_reads() {
        let rust = Measured::of(&[30.0, 10.0, 20.0]);
        assert_eq!((rust.median, rust.min, rust.max), (20.0, 10.0, 30.0));
        assert_eq!(Measured::of(&[4.0, 1.0, 3.0, 2.0]).median, 2.0);
        let row = Row::higher_is_better("t".into(), "records/s", rust, Measured::once(5.0))
            .with_limit(Measured::of(&[40.0, 50.0]));
        assert_eq!(row.advantage(), 4.0);
        assert_eq!(row.of_limit(), Some(0.5));
        let json = report_json(&[row], Size::Smoke);
        let row = &json["rows"][0];
        assert_eq!(
            (
                row["rust"].as_f64(),
                row["rust_min"].as_f64(),
                row["rust_max"].as_f64()
            ),
            (Some(20.0), Some(10.0), Some(30.0))
        );
        assert_eq!(row["node_max"], 5.0);
        assert_eq!(row["limit"], 40.0);
        let size =
            Row::lower_is_better("zip".into(), "MB", Measured::once(2.0), Measured::once(8.0));
        let json = report_json(&[size], Size::Smoke);
        assert_eq!(json["rows"][0]["limit_min"], Value::Null);
        assert_eq!(json["rows"][0]["rust_advantage"], 4.0);
    }
}
