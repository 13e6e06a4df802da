//! `q-status report`: usage per day or month (UTC) over every store: requests, context tokens
//! sent (each request sends the whole context: Σ of the context at each request), output,
//! credits where recorded, a cost column when prices are configured, a totals row, and the
//! month's requests against `monthly_request_quota`.
//!
//! Pure aggregation ([`Report::add`]) over the per-request rows of [`history`]; IO in [`run`].

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use crate::config::Config;
use crate::history::{self, Item, TurnRow};
use crate::settings::{ProcessEnv, Settings};
use crate::table::{Align, Column, Fit, Table};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// One row per day (the default)
    #[arg(long, conflicts_with = "monthly")]
    pub daily: bool,
    /// One row per month
    #[arg(long)]
    pub monthly: bool,
    /// First day to include (YYYY-MM-DD, UTC)
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub since: Option<i64>,
    /// Last day to include (YYYY-MM-DD, UTC)
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub until: Option<i64>,
    /// Print one JSON document instead of the table
    #[arg(long)]
    pub json: bool,
}

fn parse_date(s: &str) -> Result<i64, String> {
    crate::time::parse_date_ms(s).ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

/// One period's totals. Field names are part of the interface (see the README).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Period {
    /// `YYYY-MM-DD`, `YYYY-MM`, `undated` or `total`.
    pub period: String,
    pub requests: u64,
    pub input_tokens: u64,
    /// Requests whose context came from the estimate rather than the service or real counts.
    pub estimated_requests: u64,
    pub output_tokens: u64,
    pub output_bytes: u64,
    pub credits: Option<f64>,
    pub cost: Option<f64>,
}

impl Period {
    fn add(&mut self, t: &TurnRow, cost: Option<f64>) {
        self.requests += t.requests;
        self.input_tokens += t.context_tokens;
        if t.source == history::TurnSource::Estimate {
            self.estimated_requests += t.requests;
        }
        self.output_tokens += t.output_tokens;
        self.output_bytes += t.output_bytes.unwrap_or(0);
        self.credits = history::sum_known([self.credits, t.credits].into_iter());
        self.cost = history::sum_known([self.cost, cost].into_iter());
    }

    fn merge(&mut self, o: &Period) {
        self.requests += o.requests;
        self.input_tokens += o.input_tokens;
        self.estimated_requests += o.estimated_requests;
        self.output_tokens += o.output_tokens;
        self.output_bytes += o.output_bytes;
        self.credits = history::sum_known([self.credits, o.credits].into_iter());
        self.cost = history::sum_known([self.cost, o.cost].into_iter());
    }
}

/// Prices from the config, per 1 000 tokens.
#[derive(Debug, Clone, Default)]
pub struct Prices {
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub per_model: BTreeMap<String, f64>,
}

impl Prices {
    pub fn from_config(c: &Config) -> Prices {
        Prices {
            input: c.cost_per_1k_tokens,
            output: c.cost_per_1k_output_tokens,
            per_model: c.prices.clone(),
        }
    }

    pub fn configured(&self) -> bool {
        self.input.is_some() || !self.per_model.is_empty()
    }

    /// A request's cost: the model's price (else `cost_per_1k_tokens`) for its context, the
    /// output price (else the same input price) for its output. `None` when unpriced.
    pub fn cost(&self, t: &TurnRow) -> Option<f64> {
        let input = t
            .model
            .as_deref()
            .and_then(|m| self.per_model.get(m).copied())
            .or(self.input)?;
        let output = self.output.unwrap_or(input);
        Some(t.context_tokens as f64 / 1000.0 * input + t.output_tokens as f64 / 1000.0 * output)
    }
}

/// The report being built.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub monthly: bool,
    pub since_ms: Option<i64>,
    /// Exclusive end (the day after `--until`).
    pub until_ms: Option<i64>,
    pub prices: Prices,
    pub periods: BTreeMap<String, Period>,
    /// Requests the prices did not cover (a model without a price and no default).
    pub unpriced_requests: u64,
}

impl Report {
    /// Adds one request row. Rows without a time go to `undated`, unless a range is asked for.
    pub fn add(&mut self, t: &TurnRow) {
        let key = match t.start_ms {
            Some(ms) => {
                if self.since_ms.is_some_and(|s| ms < s) || self.until_ms.is_some_and(|u| ms >= u) {
                    return;
                }
                if self.monthly {
                    crate::time::month_string(ms)
                } else {
                    crate::time::day_string(ms)
                }
            }
            None if self.since_ms.is_some() || self.until_ms.is_some() => return,
            None => "undated".to_owned(),
        };
        let cost = if self.prices.configured() {
            let c = self.prices.cost(t);
            if c.is_none() {
                self.unpriced_requests += t.requests;
            }
            c
        } else {
            None
        };
        self.periods.entry(key).or_default().add(t, cost);
    }

    /// The periods in order (dated ones by date, `undated` last), their `period` field set.
    pub fn rows(&self) -> Vec<Period> {
        self.periods
            .iter()
            .filter(|(k, _)| k.as_str() != "undated")
            .chain(self.periods.iter().filter(|(k, _)| k.as_str() == "undated"))
            .map(|(k, p)| Period {
                period: k.clone(),
                ..p.clone()
            })
            .collect()
    }

    pub fn total(&self) -> Period {
        let mut t = Period {
            period: "total".to_owned(),
            ..Period::default()
        };
        for p in self.periods.values() {
            t.merge(p);
        }
        t
    }
}

/// This month's requests against the quota.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuotaLine {
    pub month: String,
    pub requests: u64,
    pub quota: u64,
    pub pct: f64,
}

#[derive(Serialize)]
struct Document {
    version: u32,
    granularity: &'static str,
    periods: Vec<Period>,
    total: Period,
    quota: Option<QuotaLine>,
    unpriced_requests: u64,
    refused_rows: u64,
}

pub fn run(s: &Settings, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let now = crate::time::now_ms();
    let stores = history::stores(s)?;
    if let (Some(a), Some(b)) = (args.since, args.until) {
        if a > b {
            anyhow::bail!("--since is after --until");
        }
    }
    let mut report = Report {
        monthly: args.monthly,
        since_ms: args.since,
        until_ms: args.until.map(|u| u + 86_400_000),
        prices: Prices::from_config(&s.config),
        ..Report::default()
    };
    let mut quota = crate::quota::Counter::new(now);
    let mut refused = 0u64;
    let failures = history::scan(&stores, s.max_row_bytes, history::BUSY, |item| match item {
        Item::Conversation(r) => {
            quota.add(&r);
            for t in &r.turns {
                report.add(t);
            }
        }
        Item::Refused(_) => refused += 1,
    });
    if failures.len() < stores.len() {
        quota.save(s, now);
    }
    let quota_line = s.config.monthly_request_quota.map(|q| QuotaLine {
        month: quota.month.clone(),
        requests: quota.requests,
        quota: q,
        pct: quota.requests as f64 / q.max(1) as f64 * 100.0,
    });
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = Document {
            version: 1,
            granularity: if args.monthly { "monthly" } else { "daily" },
            periods: report.rows(),
            total: report.total(),
            quota: quota_line,
            unpriced_requests: report.unpriced_requests,
            refused_rows: refused,
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        let color = s.table_color(&ProcessEnv);
        let t = table(&report);
        out.write_all(t.render(crate::table::terminal_width(), color).as_bytes())?;
        if report.prices.configured() && report.unpriced_requests > 0 {
            writeln!(
                out,
                "cost leaves out {} requests of models without a price (set cost_per_1k_tokens or prices)",
                report.unpriced_requests
            )?;
        }
        if refused > 0 {
            writeln!(
                out,
                "{refused} conversation(s) could not be read (see `q-status list`)"
            )?;
        }
        if let Some(q) = &quota_line {
            writeln!(
                out,
                "{}: {} of {} requests ({:.0}%)",
                q.month, q.requests, q.quota, q.pct
            )?;
        }
    }
    out.flush()?;
    for f in &failures {
        eprintln!("q-status: {}", crate::sanitize::sanitize(&f.error, 400));
    }
    Ok(if failures.len() == stores.len() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The terminal table; the cost column only when prices are configured.
pub fn table(r: &Report) -> Table {
    let priced = r.prices.configured();
    let mut columns = vec![
        Column::new("PERIOD", Align::Left, Fit::Fixed),
        Column::new("REQUESTS", Align::Right, Fit::Fixed),
        Column::new("INPUT TOKENS", Align::Right, Fit::Fixed),
        Column::new("OUTPUT TOKENS", Align::Right, Fit::Fixed),
        Column::new("CREDITS", Align::Right, Fit::Fixed),
    ];
    if priced {
        columns.push(Column::new("COST", Align::Right, Fit::Fixed));
    }
    let cells = |p: &Period| {
        let mut v = vec![
            p.period.clone(),
            p.requests.to_string(),
            thousands(p.input_tokens),
            thousands(p.output_tokens),
            p.credits.map_or_else(String::new, |c| format!("{c:.2}")),
        ];
        if priced {
            v.push(p.cost.map_or_else(String::new, |c| format!("{c:.2}")));
        }
        v
    };
    Table {
        columns,
        rows: r.rows().iter().map(cells).collect(),
        totals: Some(cells(&r.total())),
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::TurnSource;

    fn turn(ms: Option<i64>, model: &str, ctx: u64, out: u64) -> TurnRow {
        TurnRow {
            start_ms: ms,
            model: Some(model.into()),
            requests: 1,
            context_tokens: ctx,
            source: TurnSource::Backend,
            output_tokens: out,
            output_bytes: Some(out * 4),
            credits: None,
        }
    }

    #[test]
    fn periods_totals_and_prices() {
        let day = 86_400_000;
        let mut r = Report {
            prices: Prices {
                input: Some(1.0),
                output: Some(2.0),
                per_model: [("cheap".to_owned(), 0.5)].into(),
            },
            ..Report::default()
        };
        r.add(&turn(Some(0), "a", 1000, 500));
        r.add(&turn(Some(day + 5), "cheap", 2000, 0));
        r.add(&turn(None, "a", 10, 0));
        let rows = r.rows();
        assert_eq!(
            rows.iter().map(|p| p.period.as_str()).collect::<Vec<_>>(),
            ["1970-01-01", "1970-01-02", "undated"]
        );
        assert_eq!(rows[0].cost, Some(1.0 + 1.0));
        assert_eq!(rows[1].cost, Some(1.0));
        let t = r.total();
        assert_eq!(
            (t.requests, t.input_tokens, t.output_tokens),
            (3, 3010, 500)
        );
        assert!((t.cost.unwrap() - 3.01).abs() < 1e-9);
        r.since_ms = Some(day);
        r.periods.clear();
        r.add(&turn(Some(0), "a", 1, 1));
        r.add(&turn(None, "a", 1, 1));
        assert!(r.periods.is_empty());
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
