//! Results as a Markdown table and an SVG chart, written under bench/results/.

use std::fmt::Write as _;
use std::path::PathBuf;

/// One server at one load point, summarised over rounds.
#[derive(Debug, Clone)]
pub struct Row {
    pub server: String,
    pub conns: usize,
    pub msg_len: usize,
    /// req/s per round.
    pub rps: Vec<f64>,
    pub p50_us: u32,
    pub p99_us: u32,
    pub p999_us: u32,
    /// Until the reply was in the load generator's socket (`rx_stamp.rs`), median over
    /// rounds of each round's quantile.
    pub reply_p50_us: u32,
    pub reply_p99_us: u32,
    /// Spread of the per-round p99s, as a percentage (see [`spread`]).
    pub p99_spread: f64,
    pub rss_kib: u64,
    pub rss_per_conn_bytes: f64,
    pub cpu_per_100k: f64,
    pub corrupt: u64,
}

/// Median of `v` (which must be non-empty).
pub fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// `(max - min) / median`, as a percentage.
pub fn spread(v: &[f64]) -> f64 {
    let min = v.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = v.iter().cloned().fold(0.0, f64::max);
    let m = median(v);
    if m == 0.0 {
        0.0
    } else {
        (max - min) / m * 100.0
    }
}

/// Where results go: bench/results/ beside this crate's manifest.
pub fn results_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("results");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The Markdown table of `rows`.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("| server | conns | msg | req/s (median) | spread | p50 µs | p99 µs | p99 spread | p99.9 µs | reply p50 µs | reply p99 µs | RSS MiB | RSS/conn | CPU s / 100k req | lost |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} B | {:.0} | {:.0}% | {} | {} | {:.0}% | {} | {} | {} | {:.1} | {} | {:.2} | {} |",
            r.server,
            r.conns,
            r.msg_len,
            median(&r.rps),
            spread(&r.rps),
            r.p50_us,
            r.p99_us,
            r.p99_spread,
            r.p999_us,
            r.reply_p50_us,
            r.reply_p99_us,
            r.rss_kib as f64 / 1024.0,
            human_bytes(r.rss_per_conn_bytes),
            r.cpu_per_100k,
            r.corrupt,
        );
    }
    out
}

fn human_bytes(b: f64) -> String {
    if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

/// An SVG document of `width` × `height` on white, `title` at its top left: the opening
/// every chart of the suites shares (the caller closes it with `</svg>`).
pub fn svg_start(width: f64, height: f64, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="white"/><text x="10" y="16" font-size="13">{title}</text>"#
    );
    out
}

/// Two line charts side by side (req/s and p99 against connections, log x), one line per
/// server, for the rows with message length `msg_len`.
pub fn svg(rows: &[Row], msg_len: usize, title: &str) -> String {
    let rows: Vec<&Row> = rows.iter().filter(|r| r.msg_len == msg_len).collect();
    let mut servers: Vec<&str> = Vec::new();
    for r in &rows {
        if !servers.contains(&r.server.as_str()) {
            servers.push(&r.server);
        }
    }
    let mut conns: Vec<usize> = rows.iter().map(|r| r.conns).collect();
    conns.sort_unstable();
    conns.dedup();
    let colors = [
        "#d62728", "#1f77b4", "#2ca02c", "#7f7f7f", "#9467bd", "#ff7f0e", "#8c564b",
    ];
    let (w, h, pad) = (440.0, 300.0, 55.0);
    let mut out = svg_start(2.0 * w + 60.0, h + 60.0, title);
    for (panel, (label, value)) in [
        (
            "req/s",
            Box::new(|r: &Row| median(&r.rps)) as Box<dyn Fn(&Row) -> f64>,
        ),
        ("p99 latency (µs)", Box::new(|r: &Row| r.p99_us as f64)),
    ]
    .into_iter()
    .enumerate()
    {
        let x0 = panel as f64 * (w + 20.0);
        let max = rows.iter().map(|r| value(r)).fold(1.0, f64::max) * 1.1;
        let xs =
            |i: usize| x0 + pad + (w - pad - 10.0) * i as f64 / (conns.len().max(2) - 1) as f64;
        let ys = |v: f64| 30.0 + (h - 30.0) * (1.0 - v / max);
        let _ = writeln!(
            out,
            r#"<text x="{}" y="40" font-weight="bold">{label}</text>"#,
            x0 + pad
        );
        let _ = writeln!(
            out,
            r#"<line x1="{0}" y1="30" x2="{0}" y2="{1}" stroke="black"/><line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="black"/>"#,
            x0 + pad,
            h,
            x0 + w - 10.0
        );
        for t in 0..=4 {
            let v = max * t as f64 / 4.0;
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="end">{:.0}</text>"#,
                x0 + pad - 4.0,
                ys(v) + 4.0,
                v
            );
        }
        for (i, c) in conns.iter().enumerate() {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle">{c}</text>"#,
                xs(i),
                h + 14.0
            );
        }
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">connections</text>"#,
            x0 + w / 2.0,
            h + 28.0
        );
        for (si, s) in servers.iter().enumerate() {
            let pts: Vec<String> = conns
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    rows.iter()
                        .find(|r| r.server == *s && r.conns == *c)
                        .map(|r| format!("{:.1},{:.1}", xs(i), ys(value(r))))
                })
                .collect();
            let color = colors[si % colors.len()];
            let _ = writeln!(
                out,
                r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
                pts.join(" ")
            );
            if panel == 0 {
                let _ = writeln!(
                    out,
                    r#"<text x="{}" y="{}" fill="{color}">{s}</text>"#,
                    10.0 + 90.0 * si as f64,
                    h + 50.0
                );
            }
        }
    }
    out.push_str("</svg>\n");
    out
}
