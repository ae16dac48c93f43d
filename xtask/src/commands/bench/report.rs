//! The bench's table, as printed and as JSON (target/xtask/bench.json).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::Size;

/// One row of the table: a figure for Rust, for Node.js, and Rust's advantage.
#[derive(Debug, Clone)]
pub struct Row {
    figure: String,
    unit: &'static str,
    rust: f64,
    node: f64,
    /// How many times better Rust is (higher is better for Rust).
    ratio: f64,
}

impl Row {
    pub fn higher_is_better(figure: String, unit: &'static str, rust: f64, node: f64) -> Self {
        Self {
            figure,
            unit,
            rust,
            node,
            ratio: rust / node,
        }
    }

    pub fn lower_is_better(figure: String, unit: &'static str, rust: f64, node: f64) -> Self {
        Self {
            figure,
            unit,
            rust,
            node,
            ratio: node / rust,
        }
    }
}

pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<46} {:>14} {:>14}  {:>10}  Rust's advantage",
        "figure", "Rust", "Node.js", "unit"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "{:<46} {:>14} {:>14}  {:>10}  {}x",
            row.figure,
            format_figure(row.rust),
            format_figure(row.node),
            row.unit,
            format_figure(row.ratio)
        );
    }
    out
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

pub fn report_json(rows: &[Row], size: Size) -> Value {
    json!({
        "size": format!("{size:?}").to_lowercase(),
        "rows": rows.iter().map(|row| json!({
            "figure": row.figure, "unit": row.unit, "rust": row.rust, "node": row.node, "rust_advantage": row.ratio,
        })).collect::<Vec<_>>(),
    })
}
