//! The `http` suite's results: per-round samples, the Markdown tables (one row per
//! server and load point, the corio/nginx ratios) and the SVG bar chart.

use std::fmt::Write as _;

use crate::report::{median, spread, svg_start};
use crate::wrk::Wrk;

/// One measured run: wrk's figures and the server's CPU seconds over the same window.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    /// The round it ran in, to pair servers measured in the same round.
    pub round: usize,
    pub wrk: Wrk,
    pub cpu_secs: f64,
}

impl Sample {
    /// Server CPU (user + system, all threads) per request, in µs.
    pub fn cpu_us_per_req(&self) -> f64 {
        self.cpu_secs / self.wrk.requests.max(1) as f64 * 1e6
    }
}

/// One server at one load point, with a sample per round that succeeded.
#[derive(Debug, Clone)]
pub struct Point {
    pub server: &'static str,
    pub size: usize,
    pub conns: usize,
    pub samples: Vec<Sample>,
}

impl Point {
    fn values(&self, f: impl Fn(&Sample) -> f64) -> Vec<f64> {
        self.samples.iter().map(f).collect()
    }

    fn rps(&self) -> Vec<f64> {
        self.values(|s| s.wrk.rps)
    }

    fn cpu(&self) -> Vec<f64> {
        self.values(Sample::cpu_us_per_req)
    }

    fn p99(&self) -> Vec<f64> {
        self.values(|s| s.wrk.p99_us)
    }

    fn label(&self) -> String {
        format!("{} KiB, {} conns", self.size / 1024, self.conns)
    }
}

/// The results table: medians over rounds, each with its spread.
pub fn table(points: &[Point]) -> String {
    let mut out = String::from(
        "| server | file | conns | req/s | spread | CPU µs / req | spread | p99 µs | spread | p50 µs | MiB/s | errors |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for p in points {
        let (server, kib, conns) = (p.server, p.size / 1024, p.conns);
        if p.samples.is_empty() {
            let _ = writeln!(
                out,
                "| {server} | {kib} KiB | {conns} | no round succeeded |  |  |  |  |  |  |  |  |"
            );
            continue;
        }
        let (rps, cpu, p99) = (p.rps(), p.cpu(), p.p99());
        let _ = writeln!(
            out,
            "| {server} | {kib} KiB | {conns} | {:.0} | {:.0}% | {:.1} | {:.0}% | {:.0} | {:.0}% | {:.0} | {:.1} | {} |",
            median(&rps),
            spread(&rps),
            median(&cpu),
            spread(&cpu),
            median(&p99),
            spread(&p99),
            median(&p.values(|s| s.wrk.p50_us)),
            median(&p.values(|s| s.wrk.mib_per_s)),
            p.samples.iter().map(|s| s.wrk.errors).sum::<u64>(),
        );
    }
    out
}

/// `num`/`den` per load point: the ratio of the medians for req/s and for CPU per
/// request, the range of the per-round ratios (rounds pair the two servers in time),
/// and issue 22's bar (1 KiB: req/s ≥ 1.0 and CPU ≤ 1.0; 64 KiB: within 0.9x).
pub fn ratios(points: &[Point], num: &str, den: &str) -> String {
    let mut out = format!(
        "| file | conns | {num}/{den} req/s | per round | {num}/{den} CPU / req | per round | bar (req/s, CPU) | met |\n\
         |---:|---:|---:|---:|---:|---:|---:|---|\n"
    );
    for a in points.iter().filter(|p| p.server == num) {
        let Some(b) = points
            .iter()
            .find(|p| p.server == den && p.size == a.size && p.conns == a.conns)
        else {
            continue;
        };
        if a.samples.is_empty() || b.samples.is_empty() {
            continue;
        }
        let rps = median(&a.rps()) / median(&b.rps());
        let cpu = median(&a.cpu()) / median(&b.cpu());
        let paired = |f: fn(&Sample) -> f64| {
            let r: Vec<f64> = a
                .samples
                .iter()
                .filter_map(|x| {
                    let y = b.samples.iter().find(|y| y.round == x.round)?;
                    Some(f(x) / f(y))
                })
                .collect();
            let lo = r.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = r.iter().copied().fold(0.0, f64::max);
            if r.is_empty() {
                "—".to_string()
            } else {
                format!("{lo:.2}–{hi:.2}")
            }
        };
        let (min_rps, max_cpu) = if a.size <= 1024 {
            (1.0, 1.0)
        } else {
            (0.9, 1.0 / 0.9)
        };
        let met = if rps >= min_rps && cpu <= max_cpu {
            "yes"
        } else {
            "no"
        };
        let _ = writeln!(
            out,
            "| {} KiB | {} | {rps:.2} | {} | {cpu:.2} | {} | ≥ {min_rps:.1}, ≤ {max_cpu:.2} | {met} |",
            a.size / 1024,
            a.conns,
            paired(|s| s.wrk.rps),
            paired(Sample::cpu_us_per_req),
        );
    }
    out
}

/// Two bar charts side by side, req/s and server CPU µs per request, a group of bars
/// (one per server) per load point; each bar is the median, its whisker the min–max
/// over rounds.
pub fn svg(points: &[Point], title: &str) -> String {
    let mut servers: Vec<&str> = Vec::new();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for p in points {
        if !servers.contains(&p.server) {
            servers.push(p.server);
        }
        if !groups.contains(&(p.size, p.conns)) {
            groups.push((p.size, p.conns));
        }
    }
    let colors = ["#d62728", "#1f77b4", "#2ca02c", "#7f7f7f", "#9467bd"];
    let (w, h, pad, top) = (440.0, 300.0, 60.0, 50.0);
    let mut out = svg_start(2.0 * w + 40.0, h + 70.0, title);
    type Metric = fn(&Point) -> Vec<f64>;
    let panels: [(&str, Metric); 2] = [
        ("req/s (higher is better)", Point::rps),
        ("server CPU µs per request (lower is better)", Point::cpu),
    ];
    for (panel, (label, metric)) in panels.into_iter().enumerate() {
        let x0 = panel as f64 * (w + 20.0);
        let max = points.iter().flat_map(metric).fold(1.0, f64::max) * 1.1;
        let ys = |v: f64| top + (h - top) * (1.0 - v / max);
        let group_w = (w - pad - 10.0) / groups.len().max(1) as f64;
        let bar_w = group_w * 0.8 / servers.len().max(1) as f64;
        let _ = writeln!(
            out,
            r#"<text x="{}" y="38" font-weight="bold">{label}</text>"#,
            x0 + pad
        );
        let _ = writeln!(
            out,
            r#"<line x1="{0}" y1="{top}" x2="{0}" y2="{1}" stroke="black"/><line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="black"/>"#,
            x0 + pad,
            h,
            x0 + w - 10.0
        );
        for t in 0..=4 {
            let v = max * t as f64 / 4.0;
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{:.1}" text-anchor="end">{:.0}</text>"#,
                x0 + pad - 4.0,
                ys(v) + 4.0,
                v
            );
        }
        for (g, &(size, conns)) in groups.iter().enumerate() {
            let gx = x0 + pad + group_w * g as f64 + group_w * 0.1;
            let _ = writeln!(
                out,
                r#"<text x="{0:.1}" y="{1}" text-anchor="middle">{2} KiB</text><text x="{0:.1}" y="{3}" text-anchor="middle">{conns} conns</text>"#,
                gx + group_w * 0.4,
                h + 14.0,
                size / 1024,
                h + 27.0,
            );
            for (si, server) in servers.iter().enumerate() {
                let Some(p) = points
                    .iter()
                    .find(|p| p.server == *server && p.size == size && p.conns == conns)
                else {
                    continue;
                };
                let v = metric(p);
                if v.is_empty() {
                    continue;
                }
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(0.0, f64::max);
                let x = gx + bar_w * si as f64;
                let y = ys(median(&v));
                let _ = writeln!(
                    out,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{server}, {}: {:.1}</title></rect>"#,
                    bar_w * 0.9,
                    h - y,
                    colors[si % colors.len()],
                    p.label(),
                    median(&v)
                );
                let cx = x + bar_w * 0.45;
                let _ = writeln!(
                    out,
                    r#"<line x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{:.1}" stroke="black"/>"#,
                    ys(lo),
                    ys(hi)
                );
            }
        }
    }
    for (si, server) in servers.iter().enumerate() {
        let x = 10.0 + 90.0 * si as f64;
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}">{server}</text>"#,
            h + 45.0,
            colors[si % colors.len()],
            x + 14.0,
            h + 54.0
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}">bar: median over rounds; whisker: min–max</text>"#,
        10.0 + 90.0 * servers.len() as f64,
        h + 54.0
    );
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(server: &'static str, rounds: &[(f64, u64, f64)]) -> Point {
        let samples = rounds
            .iter()
            .enumerate()
            .map(|(round, &(rps, requests, cpu_secs))| Sample {
                round,
                wrk: Wrk {
                    rps,
                    requests,
                    p50_us: 100.0,
                    p99_us: 1000.0 + round as f64 * 100.0,
                    mib_per_s: 1.0,
                    errors: 0,
                },
                cpu_secs,
            })
            .collect();
        Point {
            server,
            size: 1024,
            conns: 10,
            samples,
        }
    }

    #[test]
    fn table_row_has_medians_and_spreads() {
        // CPU per request: 10, 20, 30 µs; req/s 100, 200, 300; p99 1000, 1100, 1200.
        let p = point(
            "corio",
            &[
                (100.0, 1000, 0.01),
                (200.0, 1000, 0.02),
                (300.0, 1000, 0.03),
            ],
        );
        let table = table(&[p]);
        let row = table.lines().nth(2).unwrap();
        assert_eq!(
            row,
            "| corio | 1 KiB | 10 | 200 | 100% | 20.0 | 100% | 1100 | 18% | 100 | 1.0 | 0 |"
        );
    }

    #[test]
    fn ratios_pair_rounds_and_judge_the_bar() {
        let corio = point("corio", &[(200.0, 1000, 0.01), (300.0, 1000, 0.01)]);
        let nginx = point("nginx", &[(100.0, 1000, 0.02), (200.0, 1000, 0.02)]);
        let out = ratios(&[corio, nginx], "corio", "nginx");
        let row = out.lines().nth(2).unwrap();
        // Medians: 250 / 150 req/s, 10 / 20 µs per request; per round 2.00 and 1.50.
        assert_eq!(
            row,
            "| 1 KiB | 10 | 1.67 | 1.50–2.00 | 0.50 | 0.50–0.50 | ≥ 1.0, ≤ 1.00 | yes |"
        );
    }
}
