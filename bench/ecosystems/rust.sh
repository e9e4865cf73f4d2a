#!/usr/bin/env bash
# Rust fixtures of the rust runner pack (tokopt_pipeline/lib/packs/rust.py).
#
#   bench/ecosystems/rust.sh [OUT_DIR]   (default: tokopt_pipeline_tests/data/ecosystems)
#
# Writes small std-only Cargo workspaces under /tmp/ci/rs-*, runs them as a CI job would and
# keeps the console output (job.log), the tools' machine-readable output of a second run
# (libtest JSON events, cargo/clippy diagnostics JSON) and a truth.json derived from it:
#   rust-workspace-tests  cargo build + cargo test --no-fail-fast (libtest, doctests,
#                         should_panic, a stack overflow) + a panicking cargo run
#   rust-compile-errors   rustc errors and warnings, a linker failure, a test-only error
#   rust-clippy-fmt       cargo fmt --check, cargo clippy -D warnings, cargo test, cargo doc
#   rust-nextest-excerpt  an excerpt of a real cargo-nextest + trybuild job (see its SOURCE.md)
#   rust-libtest-*        one crate's failing tests under libtest's output modes: --show-output,
#                         --nocapture, --test-threads=1, --quiet, RUST_BACKTRACE=full
#   RUST_JOBS="tally" bench/ecosystems/rust.sh  runs only the jobs named
# Needs cargo with clippy and rustfmt (no crates are downloaded) and python3.
set -euo pipefail

# Writes the "ledger" workspace (tests fixture) into $1.
write_ledger() {
local root=$1
rm -rf "$root"; mkdir -p "$root/crates" "$root/journals"
cat > "$root/Cargo.toml" <<'EOF'
[workspace]
resolver = "2"
members = ["crates/*"]

[workspace.package]
version = "0.4.2"
edition = "2021"
license = "MIT"
EOF

# ---------------------------------------------------------------- ledger-core
mkdir -p "$root/crates/ledger-core/src"
cat > "$root/crates/ledger-core/Cargo.toml" <<'EOF'
[package]
name = "ledger-core"
version.workspace = true
edition.workspace = true
license.workspace = true
EOF
cat > "$root/crates/ledger-core/src/lib.rs" <<'EOF'
//! Core types of the ledger: money amounts, currencies and account names.

pub mod account;
pub mod money;

#[cfg(test)]
mod cases;
EOF
cat > "$root/crates/ledger-core/src/money.rs" <<'EOF'
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Currency {
    Eur,
    Usd,
    Gbp,
    Chf,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Eur => "EUR",
            Currency::Usd => "USD",
            Currency::Gbp => "GBP",
            Currency::Chf => "CHF",
        }
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "EUR" => Ok(Currency::Eur),
            "USD" => Ok(Currency::Usd),
            "GBP" => Ok(Currency::Gbp),
            "CHF" => Ok(Currency::Chf),
            other => Err(MoneyError::UnknownCurrency(other.to_string())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyError {
    Empty,
    BadNumber(String),
    UnknownCurrency(String),
    Overflow,
    CurrencyMismatch(Currency, Currency),
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::Empty => write!(f, "empty amount"),
            MoneyError::BadNumber(s) => write!(f, "not a number: {s:?}"),
            MoneyError::UnknownCurrency(s) => write!(f, "unknown currency {s:?}"),
            MoneyError::Overflow => write!(f, "amount out of range"),
            MoneyError::CurrencyMismatch(a, b) => write!(f, "cannot mix {} and {}", a.code(), b.code()),
        }
    }
}

impl std::error::Error for MoneyError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount {
    pub cents: i64,
    pub currency: Currency,
}

impl Amount {
    pub fn new(cents: i64, currency: Currency) -> Self {
        Amount { cents, currency }
    }

    /// Reads `"12.50 EUR"`, `"-3 USD"`.
    pub fn parse(text: &str) -> Result<Amount, MoneyError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (number, code) = text.rsplit_once(' ').ok_or_else(|| MoneyError::BadNumber(text.to_string()))?;
        let currency: Currency = code.parse()?;
        let (neg, digits) = match number.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, number),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, "0"));
        let bad = || MoneyError::BadNumber(number.to_string());
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = match frac.len() {
            1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
            2 => frac.parse().map_err(|_| bad())?,
            _ => return Err(bad()),
        };
        let cents = whole.checked_mul(100).and_then(|c| c.checked_add(frac)).ok_or(MoneyError::Overflow)?;
        Ok(Amount::new(if neg { -cents } else { cents }, currency))
    }

    pub fn checked_add(self, other: Amount) -> Result<Amount, MoneyError> {
        let cents = self.cents.checked_add(other.cents).ok_or(MoneyError::Overflow)?;
        Ok(Amount::new(cents, self.currency))
    }

    /// Multiplies by `num / den`, rounding to the nearest cent.
    pub fn scale(self, num: i64, den: i64) -> Amount {
        let raw = self.cents * num;
        let q = raw / den;
        let r = raw % den;
        let cents = if 2 * r.abs() >= den.abs() { q + raw.signum() } else { q };
        Amount::new(cents, self.currency)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let c = self.cents.abs();
        write!(f, "{sign}{}.{:02} {}", c / 100, c % 100, self.currency.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_plain_amount() {
        assert_eq!(Amount::parse("12.50 EUR").unwrap(), Amount::new(1250, Currency::Eur));
    }

    #[test]
    fn parse_negative_amount() {
        assert_eq!(Amount::parse("-3 USD").unwrap(), Amount::new(-300, Currency::Usd));
    }

    #[test]
    fn parse_error_on_empty_input() {
        assert_eq!(Amount::parse("  "), Err(MoneyError::Empty));
    }

    #[test]
    fn parse_error_on_unknown_currency() {
        assert_eq!(Amount::parse("1 XYZ"), Err(MoneyError::UnknownCurrency("XYZ".into())));
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(Amount::parse("92233720368547758.08 EUR"), Err(MoneyError::Overflow));
    }

    #[test]
    fn add_mixed_currency_returns_error() {
        let a = Amount::new(100, Currency::Eur);
        let b = Amount::new(200, Currency::Usd);
        assert!(a.checked_add(b).is_err(), "adding {a} and {b} should fail");
    }

    #[test]
    fn scale_rounds_half_to_even() {
        // 0.05 / 2 = 0.025: banker's rounding keeps 0.02
        assert_eq!(Amount::new(5, Currency::Eur).scale(1, 2).cents, 2);
    }

    #[test]
    fn display_pads_cents() {
        assert_eq!(Amount::new(-705, Currency::Chf).to_string(), "-7.05 CHF");
    }
}
EOF
cat > "$root/crates/ledger-core/src/account.rs" <<'EOF'
/// Account names are colon-separated segments: `assets:bank:checking`.
pub fn validate(name: &str) -> Result<Vec<&str>, String> {
    let parts: Vec<&str> = name.split(':').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!("empty segment in account {name:?}"));
    }
    match parts[0] {
        "assets" | "liabilities" | "equity" | "income" | "expenses" => Ok(parts),
        root => Err(format!("unknown root {root:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_nested_names() {
        assert_eq!(validate("assets:bank:checking").unwrap().len(), 3);
    }

    #[test]
    fn validate_fails_on_empty_segment() {
        assert!(validate("assets::checking").is_err());
    }

    #[test]
    fn unknown_root_is_error() {
        assert!(validate("stuff:misc").is_err());
    }
}
EOF
{
  echo "use crate::money::{Amount, Currency};"
  echo
  local curs=(Eur Usd Gbp Chf) codes=(EUR USD GBP CHF) i c cents
  for mod in parse display scale; do
    echo "mod $mod {"
    echo "    use super::*;"
    local n=640; [ $mod = display ] && n=520; [ $mod = scale ] && n=420
    for ((i = 1; i <= n; i++)); do
      c=$((i % 4)); cents=$(( (i * 7919) % 250000 ))
      printf '\n    #[test]\n    fn amount_%04d_%s() {\n' "$i" "${codes[c],,}"
      case $mod in
        parse) printf '        assert_eq!(Amount::parse("%d.%02d %s").unwrap(), Amount::new(%d, Currency::%s));\n' $((cents / 100)) $((cents % 100)) "${codes[c]}" "$cents" "${curs[c]}";;
        display) printf '        assert_eq!(Amount::new(%d, Currency::%s).to_string(), "%d.%02d %s");\n' "$cents" "${curs[c]}" $((cents / 100)) $((cents % 100)) "${codes[c]}";;
        scale) printf '        assert_eq!(Amount::new(%d, Currency::%s).scale(%d, 1).cents, %d);\n' "$cents" "${curs[c]}" $((i % 9 + 1)) $((cents * (i % 9 + 1)));;
      esac
      echo "    }"
    done
    echo "}"
    echo
  done
} > "$root/crates/ledger-core/src/cases.rs"

# ---------------------------------------------------------------- ledger-parse
mkdir -p "$root/crates/ledger-parse/src" "$root/crates/ledger-parse/tests"
cat > "$root/crates/ledger-parse/Cargo.toml" <<'EOF'
[package]
name = "ledger-parse"
version.workspace = true
edition.workspace = true
license.workspace = true

[dependencies]
ledger-core = { path = "../ledger-core" }
EOF
cat > "$root/crates/ledger-parse/src/lib.rs" <<'EOF'
//! Reading journal text: one entry per line, `DATE ACCOUNT AMOUNT CURRENCY [; memo]`.

use ledger_core::money::{Amount, MoneyError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub line: usize,
    pub date: Date,
    pub account: String,
    pub amount: Amount,
    pub memo: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    BadDate { line: usize, text: String },
    MissingField { line: usize, field: &'static str },
    Money { line: usize, source: MoneyError },
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParseError::BadDate { line, text } => write!(f, "line {line}: bad date {text:?}"),
            ParseError::MissingField { line, field } => write!(f, "line {line}: missing {field}"),
            ParseError::Money { line, source } => write!(f, "line {line}: {source}"),
        }
    }
}

impl std::error::Error for ParseError {}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && year % 100 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

pub fn parse_date(line: usize, text: &str) -> Result<Date, ParseError> {
    let bad = || ParseError::BadDate { line, text: text.to_string() };
    let mut it = text.split('-');
    let year: u16 = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let month: u8 = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    let day: u8 = it.next().and_then(|s| s.parse().ok()).ok_or_else(bad)?;
    if it.next().is_some() || day == 0 || day > days_in_month(year, month) {
        return Err(bad());
    }
    Ok(Date { year, month, day })
}

/// Parses one journal line.
///
/// ```
/// use ledger_parse::parse_line;
/// let e = parse_line(1, "2024-01-03 expenses:food 12.50 EUR ; lunch").unwrap();
/// assert_eq!(e.memo.as_deref(), Some("lunch"));
/// ```
pub fn parse_line(line: usize, text: &str) -> Result<Entry, ParseError> {
    let (body, memo) = match text.split_once(';') {
        Some((b, m)) => (b, Some(m.trim().to_string())),
        None => (text, None),
    };
    let mut fields = body.split_whitespace();
    let date = parse_date(line, fields.next().ok_or(ParseError::MissingField { line, field: "date" })?)?;
    let account = fields.next().ok_or(ParseError::MissingField { line, field: "account" })?.to_string();
    let number = fields.next().ok_or(ParseError::MissingField { line, field: "amount" })?;
    let code = fields.next().ok_or(ParseError::MissingField { line, field: "currency" })?;
    let amount = Amount::parse(&format!("{number} {code}")).map_err(|source| ParseError::Money { line, source })?;
    Ok(Entry { line, date, account, amount, memo })
}

/// Parses a whole journal; blank lines and `#` comments are skipped.
///
/// ```
/// let text = "2024-01-03 assets:cash 1 EUR\n\n2024-01-04 assets:cash 2 EUR\n";
/// let entries = ledger_parse::parse_journal(text).unwrap();
/// assert_eq!(entries.len(), 3);
/// ```
///
/// Counting entries without keeping them:
///
/// ```
/// let n = ledger_parse::count_entries("2024-01-03 assets:cash 1 EUR\n");
/// assert_eq!(n, 1);
/// ```
pub fn parse_journal(text: &str) -> Result<Vec<Entry>, ParseError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| parse_line(i + 1, l))
        .collect()
}

/// Writes entries back as journal text.
pub fn render(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        out.push_str(&format!(
            "{:04}-{:02}-{:02} {} {}",
            e.date.year, e.date.month, e.date.day, e.account, e.amount
        ));
        if let Some(m) = &e.memo {
            out.push_str(&format!(" ; {m}"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger_core::money::Currency;

    #[test]
    fn parses_minimal_line() {
        let e = parse_line(1, "2024-01-03 assets:cash 1 EUR").unwrap();
        assert_eq!(e.amount, Amount::new(100, Currency::Eur));
        assert_eq!(e.memo, None);
    }

    #[test]
    fn missing_currency_is_error() {
        assert_eq!(
            parse_line(4, "2024-01-03 assets:cash 1"),
            Err(ParseError::MissingField { line: 4, field: "currency" })
        );
    }

    #[test]
    fn rejects_month_thirteen() {
        assert!(matches!(parse_line(2, "2024-13-01 assets:cash 1 EUR"), Err(ParseError::BadDate { .. })));
    }

    #[test]
    fn parses_quoted_memo() {
        let e = parse_line(3, "2024-03-09 expenses:food 31.20 EUR ; \"dinner; with team\"").unwrap();
        assert_eq!(e.memo.as_deref(), Some("dinner; with team"));
    }

    #[test]
    fn accepts_leap_day() -> Result<(), ParseError> {
        let e = parse_line(7, "2024-02-29 assets:cash 5 EUR")?;
        assert_eq!(e.date.day, 29);
        Ok(())
    }

    #[test]
    fn money_error_keeps_line_number() {
        match parse_line(9, "2024-01-01 assets:cash 1.234 EUR") {
            Err(ParseError::Money { line, .. }) => assert_eq!(line, 9),
            other => panic!("unexpected {other:?}"),
        }
    }
}
EOF
cat > "$root/crates/ledger-parse/tests/roundtrip.rs" <<'EOF'
use ledger_parse::{parse_journal, render};

#[test]
fn roundtrip_simple_journal() {
    let text = "2024-01-03 assets:cash 1.00 EUR\n2024-01-04 expenses:rent -800.00 EUR ; march\n";
    assert_eq!(render(&parse_journal(text).unwrap()), text);
}

#[test]
fn roundtrip_preserves_comments() {
    let text = "# opening balances\n2024-01-01 equity:opening 1500.00 EUR\n2024-01-02 assets:bank 1500.00 EUR\n";
    let out = render(&parse_journal(text).unwrap());
    assert_eq!(out, text, "comments must survive a roundtrip");
}

#[test]
fn error_line_numbers_count_comments() {
    let err = parse_journal("# header\n\n2024-02-30 assets:cash 1 EUR\n").unwrap_err();
    assert_eq!(err.to_string(), "line 3: bad date \"2024-02-30\"");
}
EOF
{
  local accts=(assets:cash assets:bank:checking expenses:food expenses:rent expenses:travel income:salary liabilities:card equity:opening)
  local codes=(EUR USD GBP CHF) i a cents
  echo "use ledger_parse::parse_line;"
  for ((i = 1; i <= 1000; i++)); do
    a=${accts[i % 8]}; cents=$(( (i * 104729) % 900000 ))
    printf '\n#[test]\nfn line_%04d_%s() {\n' "$i" "${a//:/_}"
    printf '    let e = parse_line(%d, "2024-%02d-%02d %s %d.%02d %s").unwrap();\n' "$i" $((i % 12 + 1)) $((i % 28 + 1)) "$a" $((cents / 100)) $((cents % 100)) "${codes[i % 4]}"
    printf '    assert_eq!((e.account.as_str(), e.amount.cents), ("%s", %d));\n}\n' "$a" "$cents"
  done
} > "$root/crates/ledger-parse/tests/journal_lines.rs"

# ---------------------------------------------------------------- ledger-report
mkdir -p "$root/crates/ledger-report/src"
cat > "$root/crates/ledger-report/Cargo.toml" <<'EOF'
[package]
name = "ledger-report"
version.workspace = true
edition.workspace = true
license.workspace = true

[dependencies]
ledger-core = { path = "../ledger-core" }
EOF
cat > "$root/crates/ledger-report/src/lib.rs" <<'EOF'
//! Balance reports: plain-text tables and CSV export.

pub mod csv;
pub mod table;

#[cfg(test)]
mod cases;
EOF
cat > "$root/crates/ledger-report/src/table.rs" <<'EOF'
pub struct Table {
    title: String,
    rows: Vec<(String, String)>,
    errors: Vec<usize>,
}

impl Table {
    pub fn new(title: &str) -> Table {
        Table { title: title.to_string(), rows: Vec::new(), errors: Vec::new() }
    }

    pub fn row(&mut self, label: &str, value: &str) -> &mut Self {
        self.rows.push((label.to_string(), value.to_string()));
        self
    }

    pub fn error_row(&mut self, label: &str, value: &str) -> &mut Self {
        self.errors.push(self.rows.len());
        self.row(label, value)
    }

    pub fn width(&self) -> usize {
        self.rows.iter().map(|(l, v)| l.len() + v.len() + 3).max().unwrap_or(0).max(self.title.len())
    }

    pub fn render(&self) -> String {
        let w = self.width();
        let mut out = format!("{}\n{}\n", self.title, "=".repeat(w));
        for (i, (l, v)) in self.rows.iter().enumerate() {
            let mark = if self.errors.contains(&i) { "!" } else { " " };
            out.push_str(&format!("{mark}{l:<lw$} {v:>vw$}\n", lw = w - v.len() - 2, vw = v.len()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rows_aligned() {
        let mut t = Table::new("Balances");
        t.row("assets:cash", "12.00 EUR").row("assets:bank", "1500.00 EUR");
        let out = t.render();
        assert!(out.lines().skip(2).all(|l| l.len() == t.width()));
    }

    #[test]
    fn error_rows_are_marked() {
        let mut t = Table::new("Balances");
        t.error_row("assets:lost", "-1.00 EUR");
        assert!(t.render().contains("!assets:lost"));
    }

    #[test]
    #[should_panic(expected = "title must not be empty")]
    fn empty_title_panics() {
        let t = Table::new("");
        println!("rendered table:\n{}", t.render());
    }

    #[test]
    #[should_panic(expected = "width overflow")]
    fn huge_value_panics_with_width_overflow() {
        let mut t = Table::new("x");
        t.row("", "");
        let _ = t.render();
    }
}
EOF
cat > "$root/crates/ledger-report/src/csv.rs" <<'EOF'
use std::error::Error;

#[derive(Debug, PartialEq, Eq)]
pub enum CsvError {
    EmptyHeader,
    Field { column: usize, reason: &'static str },
}

pub fn to_csv(header: &[&str], rows: &[Vec<String>]) -> Result<String, CsvError> {
    if header.is_empty() {
        return Err(CsvError::EmptyHeader);
    }
    let mut out = header.join(",");
    out.push('\n');
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if cell.contains(',') {
                return Err(CsvError::Field { column: i, reason: "unescaped separator" });
            }
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_on_empty_header() {
        assert_eq!(to_csv(&[], &[]), Err(CsvError::EmptyHeader));
    }

    #[test]
    fn exports_plain_rows() {
        let out = to_csv(&["account", "balance"], &[vec!["assets:cash".into(), "12.00".into()]]).unwrap();
        assert_eq!(out, "account,balance\nassets:cash,12.00\n");
    }

    #[test]
    fn export_escapes_commas() {
        let rows = vec![vec!["expenses:food".into(), "31.20".into(), "dinner, with team".into()]];
        let out = to_csv(&["account", "balance", "memo"], &rows).unwrap();
        assert!(out.contains("\"dinner, with team\""));
    }
}
EOF
{
  local i label value title w
  echo "use crate::table::Table;"
  for ((i = 1; i <= 700; i++)); do
    label="expenses:item$i"; value=$(printf '%d.%02d EUR' $((i * 3)) $((i % 100))); title="report $i"
    w=$(( ${#label} + ${#value} + 3 )); (( ${#title} > w )) && w=${#title}
    printf '\n#[test]\nfn width_%04d() {\n    let mut t = Table::new("%s");\n' "$i" "$title"
    printf '    t.row("%s", "%s");\n    assert_eq!(t.width(), %d);\n}\n' "$label" "$value" "$w"
  done
} > "$root/crates/ledger-report/src/cases.rs"

# ---------------------------------------------------------------- ledger-sync
mkdir -p "$root/crates/ledger-sync/src"
cat > "$root/crates/ledger-sync/Cargo.toml" <<'EOF'
[package]
name = "ledger-sync"
version.workspace = true
edition.workspace = true
license.workspace = true
EOF
cat > "$root/crates/ledger-sync/src/lib.rs" <<'EOF'
//! Merging journal revisions from several devices.

pub mod merge;
EOF
{
cat <<'EOF'
/// One revision of a journal; each points at the revision it was made from.
pub struct Revision {
    pub id: u64,
    pub parent: Option<Box<Revision>>,
}

impl Revision {
    pub fn chain(len: u64) -> Revision {
        let mut rev = Revision { id: 0, parent: None };
        for id in 1..len {
            rev = Revision { id, parent: Some(Box::new(rev)) };
        }
        rev
    }

    pub fn depth(&self) -> u64 {
        match &self.parent {
            Some(p) => 1 + p.depth(),
            None => 1,
        }
    }
}

/// The newest revision both histories share.
pub fn common_ancestor(a: &Revision, b: &Revision) -> Option<u64> {
    let max_error_depth = 64;
    let mut ids = Vec::new();
    let mut cur = Some(a);
    while let Some(r) = cur {
        ids.push(r.id);
        cur = r.parent.as_deref();
    }
    let mut cur = Some(b);
    while let Some(r) = cur {
        if ids.contains(&r.id) {
            return Some(r.id);
        }
        cur = r.parent.as_deref();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shallow_chain_depth() {
        assert_eq!(Revision::chain(10).depth(), 10);
    }

    #[test]
    fn ancestor_of_identical_chains() {
        assert_eq!(common_ancestor(&Revision::chain(5), &Revision::chain(3)), Some(2));
    }

    #[test]
    fn deep_merge_of_nested_journal() {
        let rev = Revision::chain(2_000_000);
        assert_eq!(rev.depth(), 2_000_000);
    }
EOF
  local i
  for ((i = 1; i <= 640; i++)); do
    printf '\n    #[test]\n    fn chain_depth_%04d() {\n        assert_eq!(Revision::chain(%d).depth(), %d);\n    }\n' "$i" "$i" "$i"
  done
  echo "}"
} > "$root/crates/ledger-sync/src/merge.rs"

# ---------------------------------------------------------------- ledger-cli
mkdir -p "$root/crates/ledger-cli/src" "$root/crates/ledger-cli/tests"
cat > "$root/crates/ledger-cli/Cargo.toml" <<'EOF'
[package]
name = "ledger-cli"
version.workspace = true
edition.workspace = true
license.workspace = true

[[bin]]
name = "ledger"
path = "src/main.rs"

[dependencies]
ledger-parse = { path = "../ledger-parse" }
EOF
cat > "$root/crates/ledger-cli/src/main.rs" <<'EOF'
use std::env;
use std::fs;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("check") => {
            let path = &args[1];
            let text = fs::read_to_string(path).expect("journal file must be readable");
            match ledger_parse::parse_journal(&text) {
                Ok(entries) => {
                    println!("{path}: {} entries ok", entries.len());
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("error: {path}: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!("usage: ledger check FILE");
            ExitCode::from(2)
        }
    }
}
EOF
cat > "$root/crates/ledger-cli/tests/cli.rs" <<'EOF'
use std::process::Command;

fn ledger(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ledger")).args(args).output().unwrap()
}

#[test]
fn usage_without_arguments() {
    let out = ledger(&[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn check_reports_entry_count() {
    let dir = std::env::temp_dir().join("ledger-cli-test");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ok.ledger");
    std::fs::write(&file, "2024-01-03 assets:cash 1 EUR\n").unwrap();
    let out = ledger(&["check", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("1 entries ok\n"));
}

#[test]
fn check_error_exit_code() {
    let dir = std::env::temp_dir().join("ledger-cli-test");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.ledger");
    std::fs::write(&file, "2024-01-03 assets:cash\n").unwrap();
    assert_eq!(ledger(&["check", file.to_str().unwrap()]).status.code(), Some(1));
}
EOF
printf '2024-01-02 assets:bank 1500.00 EUR ; salary\n2024-01-03 expenses:food 12.50 EUR\n' > "$root/journals/2023.ledger"
}

# Writes the "inventory" workspace (compile-error fixture) into $1.
write_inventory() {
local root=$1
rm -rf "$root"; mkdir -p "$root/crates"
cat > "$root/Cargo.toml" <<'EOF'
[workspace]
resolver = "2"
members = ["crates/*"]

[workspace.package]
version = "1.8.0"
edition = "2021"
license = "MIT"
EOF
local c
for c in inv-model inv-store inv-api inv-report inv-legacy; do
  mkdir -p "$root/crates/$c/src"
  printf '[package]\nname = "%s"\nversion.workspace = true\nedition.workspace = true\nlicense.workspace = true\n' "$c" > "$root/crates/$c/Cargo.toml"
done
mkdir -p "$root/crates/inv-ffi/src"
printf '[package]\nname = "inv-ffi"\nversion.workspace = true\nedition.workspace = true\nlicense.workspace = true\n\n[dependencies]\ninv-model = { path = "../inv-model" }\n' > "$root/crates/inv-ffi/Cargo.toml"
printf '\n[dependencies]\ninv-model = { path = "../inv-model" }\n' >> "$root/crates/inv-store/Cargo.toml"
printf '\n[dependencies]\ninv-store = { path = "../inv-store" }\ninv-model = { path = "../inv-model" }\n' >> "$root/crates/inv-api/Cargo.toml"
printf '\n[dependencies]\ninv-model = { path = "../inv-model" }\n' >> "$root/crates/inv-report/Cargo.toml"

cat > "$root/crates/inv-model/src/lib.rs" <<'EOF'
//! Items, stock levels and warehouse locations.

use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sku(pub String);

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub sku: Sku,
    pub name: String,
    pub unit_price_cents: u64,
    pub weight_grams: u32,
}

#[derive(Debug, Default, Clone)]
pub struct Stock {
    levels: BTreeMap<Sku, i64>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum StockError {
    Insufficient { sku: Sku, have: i64, want: i64 },
    UnknownSku(Sku),
}

impl fmt::Display for StockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StockError::Insufficient { sku, have, want } => write!(f, "{sku}: have {have}, want {want}"),
            StockError::UnknownSku(sku) => write!(f, "unknown sku {sku}"),
        }
    }
}

impl std::error::Error for StockError {}

impl Stock {
    pub fn receive(&mut self, sku: &Sku, qty: i64) {
        *self.levels.entry(sku.clone()).or_insert(0) += qty;
    }

    pub fn level(&self, sku: &Sku) -> Option<i64> {
        self.levels.get(sku).copied()
    }

    pub fn take(&mut self, sku: &Sku, qty: i64) -> Result<i64, StockError> {
        let have = self.levels.get_mut(sku).ok_or_else(|| StockError::UnknownSku(sku.clone()))?;
        if *have < qty {
            return Err(StockError::Insufficient { sku: sku.clone(), have: *have, want: qty });
        }
        *have -= qty;
        Ok(*have)
    }

    pub fn skus(&self) -> impl Iterator<Item = &Sku> {
        self.levels.keys()
    }
}

#[cfg(test)]
mod cases;
EOF
{
  local i
  echo "use super::*;"
  for ((i = 1; i <= 420; i++)); do
    printf '\n#[test]\nfn receive_then_take_%04d() {\n    let mut s = Stock::default();\n    let sku = Sku("SKU-%05d".into());\n' "$i" $((i * 37))
    printf '    s.receive(&sku, %d);\n    assert_eq!(s.take(&sku, %d), Ok(%d));\n}\n' $((i + 10)) "$i" 10
  done
  printf '\n#[test]\nfn take_unknown_sku_is_error() {\n    let mut s = Stock::default();\n    assert!(matches!(s.take(&Sku("X".into()), 1), Err(StockError::UnknownSku(_))));\n}\n'
  printf '\n#[test]\nfn insufficient_stock_error_message() {\n    let mut s = Stock::default();\n    let sku = Sku("A-1".into());\n    s.receive(&sku, 2);\n    assert_eq!(s.take(&sku, 5).unwrap_err().to_string(), "A-1: have 2, want 5");\n}\n'
} > "$root/crates/inv-model/src/cases.rs"

cat > "$root/crates/inv-store/src/lib.rs" <<'EOF'
//! Persisting stock snapshots as line-oriented text.

use inv_model::{Sku, Stock, StockError};
use std::io::{self, BufRead, Write};

#[derive(Debug)]
pub enum StoreError {
    Io(io::Error),
    Format { line: usize },
}

impl From<io::Error> for StoreError {
    fn from(e: io::Error) -> Self {
        StoreError::Io(e)
    }
}

pub fn write_snapshot<W: Write>(stock: &Stock, mut out: W) -> Result<usize, StoreError> {
    let mut n = 0;
    for sku in stock.skus() {
        writeln!(out, "{}\t{}", sku, stock.level(sku).unwrap_or(0))?;
        n += 1;
    }
    Ok(n)
}

pub fn read_snapshot<R: BufRead>(input: R) -> Result<Stock, StoreError> {
    let mut stock = Stock::default();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        let (sku, qty) = line.split_once('\t').ok_or(StoreError::Format { line: i + 1 })?;
        let qty: i64 = qty.parse().map_err(|_| StoreError::Format { line: i + 1 })?;
        stock.receive(&Sku(sku.to_string()), qty);
    }
    Ok(stock)
}

pub fn total_units(stock: &Stock) -> u64 {
    let mut total = 0i64;
    for sku in stock.skus() {
        total += stock.level(sku).unwrap_or(0);
    }
    total
}

pub fn reserve(stock: &mut Stock, order: Vec<(Sku, i64)>) -> Result<usize, StoreError> {
    for (sku, qty) in order {
        stock.take(&sku, qty)?;
    }
    Ok(order.len())
}

pub fn restock_all(stock: &mut Stock, qty: i64) {
    let skus: Vec<Sku> = stock.skus().cloned().collect();
    for sku in &skus {
        stock.receive(sku, qty);
    }
    log_restock(&skus, qty_per_sku);
}

fn log_restock(skus: &[Sku], qty: i64) {
    eprintln!("restocked {} skus by {}", skus.len(), qty);
}

pub fn snapshot_name(day: u32) -> String {
    format!("stock-{:03}.tsv", day).to_uppercase_ascii()
}
EOF

cat > "$root/crates/inv-api/src/lib.rs" <<'EOF'
//! The JSON-ish HTTP handlers; thin wrappers over the store.

pub use inv_store::{read_snapshot, write_snapshot};

pub fn handle_levels(stock: &inv_model::Stock) -> String {
    let mut body = Vec::new();
    let n = write_snapshot(stock, &mut body).map(|n| n).unwrap_or(0);
    format!("{{\"skus\": {n}}}")
}
EOF

cat > "$root/crates/inv-ffi/src/main.rs" <<'EOF'
//! Reads barcodes through the vendor scanner library.

extern "C" {
    fn scanner_open(device: *const u8) -> i32;
    fn scanner_read_code(handle: i32, buf: *mut u8, len: usize) -> isize;
}

fn main() {
    let device = b"/dev/ttyUSB0\0";
    let handle = unsafe { scanner_open(device.as_ptr()) };
    let mut buf = [0u8; 64];
    let n = unsafe { scanner_read_code(handle, buf.as_mut_ptr(), buf.len()) };
    let sku = inv_model::Sku(String::from_utf8_lossy(&buf[..n.max(0) as usize]).into_owned());
    println!("scanned {sku}");
}
EOF

cat > "$root/crates/inv-report/src/lib.rs" <<'EOF'
//! Low-stock reports.

use inv_model::{Sku, Stock};

pub fn low_stock(stock: &Stock, threshold: i64) -> Vec<(Sku, i64)> {
    stock
        .skus()
        .filter_map(|s| stock.level(s).filter(|&l| l < threshold).map(|l| (s.clone(), l)))
        .collect()
}

pub fn render(rows: &[(Sku, i64)]) -> String {
    rows.iter().map(|(s, l)| format!("{s:<12} {l:>6}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_only_low_items() {
        let mut stock = Stock::default();
        stock.receive(&Sku("A".into()), 3);
        stock.receive(&Sku("B".into()), 30);
        let rows = low_stock(&stock, 10, true);
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn renders_fixed_width() {
        let out = render(&[(Sku("A".into()), 3)]);
        assert_eq!(out.len(), ReportWidth::DEFAULT + 1);
    }
}
EOF

{
cat <<'EOF'
//! The pre-2.0 import path, kept for old warehouse exports.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read;

EOF
  local i
  for ((i = 1; i <= 14; i++)); do
    cat <<EOF
pub struct LegacyRecord$i {
    pub code: String,
    pub qty: i64,
    checksum: u32,
}

impl LegacyRecord$i {
    pub fn parse(line: &str) -> Option<Self> {
        let mut parts = line.split(';');
        let code = parts.next()?.to_string();
        let qty = parts.next()?.parse().ok()?;
        let unused_error_budget = $i;
        Some(LegacyRecord$i { code, qty, checksum: 0 })
    }
}

fn legacy_convert_$i(input: &str) -> String {
    input.replace(';', "\t")
}

EOF
  done
} > "$root/crates/inv-legacy/src/lib.rs"
}

# Writes the "pricing" workspace (lint fixture) into $1.
write_pricing() {
local root=$1
rm -rf "$root"; mkdir -p "$root/crates"
cat > "$root/Cargo.toml" <<'EOF'
[workspace]
resolver = "2"
members = ["crates/*"]

[workspace.package]
version = "0.9.1"
edition = "2021"
license = "MIT"
EOF
local c
for c in pricing-core pricing-rules pricing-tax; do
  mkdir -p "$root/crates/$c/src"
  printf '[package]\nname = "%s"\nversion.workspace = true\nedition.workspace = true\nlicense.workspace = true\n' "$c" > "$root/crates/$c/Cargo.toml"
done

cat > "$root/crates/pricing-core/src/lib.rs" <<'EOF'
//! Prices, discounts and the [`PriceRule`] trait.
//!
//! See [`Quote::apply_all`] for how rules combine.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub cents: i64,
}

pub struct Quote {
    pub base: Price,
    pub lines: Vec<i64>,
}

impl Quote {
    pub fn new(base: Price) -> Quote {
        Quote { base, lines: Vec::new() }
    }

    pub fn total(&self) -> i64 {
        let mut total = self.base.cents;
        for i in 0..self.lines.len() {
            total += self.lines[i];
        }
        total
    }

    pub fn is_empty(&self) -> bool {
        self.lines.len() == 0
    }

    pub fn discounted(&self, percent: Option<i64>) -> Option<i64> {
        match percent {
            Some(p) => Some(self.total() * (100 - p) / 100),
            None => None,
        }
    }

    pub fn circle_area_cents(radius: f64) -> i64 {
        let pi = 3.14159;
        (pi * radius * radius) as i64
    }
}

#[cfg(test)]
mod cases;
EOF
{
  local i
  echo "use super::*;"
  for ((i = 1; i <= 260; i++)); do
    printf '\n#[test]\nfn total_with_%03d_lines() {\n    let mut q = Quote::new(Price { cents: %d });\n    q.lines = vec![1; %d];\n    assert_eq!(q.total(), %d);\n}\n' "$i" $((i * 100)) "$i" $((i * 100 + i))
  done
  printf '\n#[test]\nfn discount_error_free_for_none() {\n    assert_eq!(Quote::new(Price { cents: 1 }).discounted(None), None);\n}\n'
  printf '\n#[test]\nfn empty_quote_fails_nothing() {\n    assert_eq!(Quote::new(Price { cents: 1 }).is_empty(), true);\n}\n'
} > "$root/crates/pricing-core/src/cases.rs"

cat > "$root/crates/pricing-rules/src/lib.rs" <<'EOF'
//! Discount rules read from the catalogue.

pub struct Rule {
    pub code: String,
    pub percent: i64,
    pub active: bool,
}

pub fn active_codes(rules: &Vec<Rule>) -> Vec<String> {
    let mut out = Vec::new();
    for r in rules {
        if r.active == true {
            out.push(r.code.clone());
        }
    }
    out
}

pub fn best_percent(rules: &[Rule]) -> i64 {
    let mut best = 0;
    for r in rules {
        if r.active {
            if r.percent > best {
                best = r.percent;
            }
        }
    }
    return best;
}

pub fn parse_rule(line: &str) -> Option<Rule> {
    let mut parts = line.split(',');
    let code = parts.next()?.trim().to_string();
    let percent = parts.next()?.trim().parse().ok()?;
    let flags = parts.next().unwrap_or("");
    Some(Rule { code, percent, active: true })
}

#[cfg(test)]
mod cases;
EOF
{
  local i
  echo "use super::*;"
  for ((i = 1; i <= 240; i++)); do
    printf '\n#[test]\nfn parse_rule_%03d() {\n    let r = parse_rule("SPRING%d, %d").unwrap();\n    assert_eq!((r.code.as_str(), r.percent), ("SPRING%d", %d));\n}\n' "$i" "$i" $((i % 60)) "$i" $((i % 60))
  done
  printf '\n#[test]\nfn parse_rule_error_on_missing_percent() {\n    assert!(parse_rule("WINTER").is_none());\n}\n'
} > "$root/crates/pricing-rules/src/cases.rs"

cat > "$root/crates/pricing-tax/src/lib.rs" <<'EOF'
//! VAT rates per region; see [`Region::rate`] and [`TaxTable`].

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    De,
    Fr,
    Ch,
}

impl Region {
    pub fn rate_basis_points(self) -> i64 {
        match self {
            Region::De => 1900,
            Region::Fr => 2000,
            Region::Ch => 810,
        }
    }
}

pub fn with_tax(net: i64, region: Region) -> i64 {
    net + net * region.rate_basis_points() / 10_000
}

pub struct Ledger {
    entries: Vec<i64>,
}

impl Ledger {
    pub fn new() -> Self {
        Ledger { entries: Vec::new() }
    }

    pub fn add(&mut self, cents: i64) {
        self.entries.push(cents)
    }

    pub fn sum(&self) -> i64 {
        self.entries.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swiss_rate() {
        assert_eq!(with_tax(10_000, Region::Ch), 10_810);
    }

    #[test]
    fn ledger_sums() {
        let mut l = Ledger::new();
        l.add(5);
        l.add(7);
        assert_eq!(l.sum(), 12);
    }
}
EOF
# formatting drift (what `cargo fmt --check` reports)
cat >> "$root/crates/pricing-tax/src/lib.rs" <<'EOF'

pub fn gross_prices(nets:&[i64],region:Region)->Vec<i64>{ nets.iter().map(|n| with_tax(*n,region)).collect() }
EOF
cat >> "$root/crates/pricing-rules/src/lib.rs" <<'EOF'

pub fn codes_csv(rules: &[Rule]) -> String { rules.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(",") }
EOF
}

# Writes the "tally" crate (libtest flag-set fixtures) into $1: passing tests that print,
# and failing ones: an assert_eq mismatch, a panic, an unwrap on Err, a should_panic that
# does not panic, an integration test and a doctest.
write_tally() {
local root=$1
rm -rf "$root"; mkdir -p "$root/src" "$root/tests"
cat > "$root/Cargo.toml" <<'EOF'
[package]
name = "tally"
version = "0.1.0"
edition = "2024"

[dependencies]
EOF
cat > "$root/src/lib.rs" <<'EOF'
//! Tallies of labelled counts: parsing `label=count` lines and summing them up.
//!
//! ```
//! let t = tally::parse::parse_line("apples=3").unwrap();
//! assert_eq!(t, ("apples".to_string(), 3));
//! ```

pub mod parse;
pub mod stats;

/// Total of the counts of a tally text.
///
/// ```
/// assert_eq!(tally::total("a=1\nb=2\n"), 3);
/// ```
pub fn total(text: &str) -> i64 {
    parse::parse_text(text).iter().map(|(_, n)| n).sum()
}

/// The share of each label, in percent, rounded down.
///
/// ```
/// let s = tally::shares("a=1\nb=3\n");
/// assert_eq!(s, vec![("a".to_string(), 25), ("b".to_string(), 75)]);
/// assert_eq!(tally::shares("a=1\nb=2\n")[0].1, 34);
/// ```
pub fn shares(text: &str) -> Vec<(String, i64)> {
    let entries = parse::parse_text(text);
    let sum: i64 = entries.iter().map(|(_, n)| n).sum();
    entries.into_iter().map(|(l, n)| (l, n * 100 / sum)).collect()
}
EOF
cat > "$root/src/parse.rs" <<'EOF'
use std::fmt;

#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    MissingEquals(String),
    BadCount(String),
    EmptyLabel,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::MissingEquals(l) => write!(f, "missing '=' in {l:?}"),
            ParseError::BadCount(c) => write!(f, "bad count {c:?}"),
            ParseError::EmptyLabel => write!(f, "empty label"),
        }
    }
}

impl std::error::Error for ParseError {}

/// One `label=count` line.
pub fn parse_line(line: &str) -> Result<(String, i64), ParseError> {
    let (label, count) = line.split_once('=').ok_or_else(|| ParseError::MissingEquals(line.to_string()))?;
    let label = label.trim();
    if label.is_empty() {
        return Err(ParseError::EmptyLabel);
    }
    let count = count.trim();
    // bug: a leading '+' or '-' sign is dropped
    let digits = count.trim_start_matches(['+', '-']);
    let n = digits.parse::<i64>().map_err(|_| ParseError::BadCount(count.to_string()))?;
    Ok((label.to_string(), n))
}

/// Every non-blank line of a text, lines that do not parse skipped.
pub fn parse_text(text: &str) -> Vec<(String, i64)> {
    text.lines().filter(|l| !l.trim().is_empty()).filter_map(|l| parse_line(l).ok()).collect()
}

/// A label must not be empty (panics otherwise).
pub fn check_label(label: &str) -> &str {
    // bug: only checks the length, a blank label passes
    if label.len() == 0 {
        panic!("empty label");
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! parses {
        ($($name:ident: $line:expr => $label:expr, $n:expr;)*) => {$(
            #[test]
            fn $name() {
                println!("parsing {:?}", $line);
                let got = parse_line($line).unwrap();
                println!("got {:?}", got);
                assert_eq!(got, ($label.to_string(), $n));
            }
        )*};
    }

    parses! {
        parses_simple: "apples=3" => "apples", 3;
        parses_spaces: " pears = 12 " => "pears", 12;
        parses_zero: "plums=0" => "plums", 0;
        parses_plus: "figs=+4" => "figs", 4;
        parses_large: "grains=9000000000" => "grains", 9000000000;
        parses_unicode_label: "äpfel=2" => "äpfel", 2;
        parses_dotted_label: "fruit.apples=5" => "fruit.apples", 5;
        parses_label_with_spaces: "green apples=7" => "green apples", 7;
        parses_tab: "kiwis=\t8" => "kiwis", 8;
        parses_leading_zero: "limes=007" => "limes", 7;
        parses_error_label: "error=1" => "error", 1;
        parses_failed_label: "failed=2" => "failed", 2;
    }

    #[test]
    fn parses_negative() {
        let got = parse_line("returns=-2").unwrap();
        assert_eq!(got, ("returns".to_string(), -2));
    }

    #[test]
    fn rejects_missing_equals() {
        eprintln!("error: expected in this test: {}", parse_line("apples").unwrap_err());
        assert_eq!(parse_line("apples"), Err(ParseError::MissingEquals("apples".into())));
    }

    #[test]
    fn rejects_bad_count() {
        println!("warning: the next parse is meant to fail");
        assert!(matches!(parse_line("apples=three"), Err(ParseError::BadCount(_))));
    }

    #[test]
    fn parse_text_skips_blank_and_bad_lines() {
        let got = parse_text("a=1\n\nnot a line\nb=2\n");
        println!("{got:?}");
        assert_eq!(got.len(), 2);
    }

    #[test]
    #[should_panic(expected = "empty label")]
    fn blank_label_panics() {
        check_label("   ");
    }

    #[test]
    #[should_panic]
    fn empty_label_panics() {
        check_label("");
    }
}
EOF
cat > "$root/src/stats.rs" <<'EOF'
use std::collections::BTreeMap;

use crate::parse::{parse_line, ParseError};

/// Counts per label, labels met more than once summed.
pub fn merge(lines: &[&str]) -> Result<BTreeMap<String, i64>, ParseError> {
    let mut out = BTreeMap::new();
    for line in lines {
        let (label, n) = parse_line(line)?;
        *out.entry(label).or_insert(0) += n;
    }
    Ok(out)
}

/// The mean count (panics on no counts).
pub fn mean(counts: &[i64]) -> f64 {
    if counts.is_empty() {
        panic!("mean of no counts: the tally is empty");
    }
    counts.iter().sum::<i64>() as f64 / counts.len() as f64
}

/// The label with the largest count.
pub fn top(counts: &BTreeMap<String, i64>) -> Option<&str> {
    counts.iter().max_by_key(|(_, n)| **n).map(|(l, _)| l.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! means {
        ($($name:ident: $counts:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let counts: Vec<i64> = $counts;
                println!("mean of {counts:?}");
                assert!((mean(&counts) - $want).abs() < 1e-9);
            }
        )*};
    }

    means! {
        mean_of_one: vec![4] => 4.0;
        mean_of_two: vec![1, 3] => 2.0;
        mean_of_three: vec![1, 2, 6] => 3.0;
        mean_of_negatives: vec![-1, -3] => -2.0;
        mean_of_zeros: vec![0, 0, 0] => 0.0;
        mean_of_halves: vec![1, 2] => 1.5;
        mean_of_many: (1..=100).collect() => 50.5;
        mean_of_large: vec![1_000_000_000, 3_000_000_000] => 2_000_000_000.0;
    }

    #[test]
    fn merge_sums_repeated_labels() {
        let m = merge(&["a=1", "b=2", "a=3"]).unwrap();
        println!("merged: {m:?}");
        assert_eq!(m["a"], 4);
    }

    #[test]
    fn merge_reads_signed_counts() {
        let m = merge(&["a=1", "a=x2"]).unwrap();
        assert_eq!(m["a"], 3);
    }

    #[test]
    fn mean_of_merged_empty_tally() {
        let m = merge(&[]).unwrap();
        let counts: Vec<i64> = m.values().copied().collect();
        println!("counts: {counts:?}");
        assert!(mean(&counts) >= 0.0);
    }

    #[test]
    fn top_of_tally() {
        let m = merge(&["a=1", "b=5", "c=2"]).unwrap();
        eprintln!("top: {:?}", top(&m));
        assert_eq!(top(&m), Some("b"));
    }
}
EOF
cat > "$root/tests/api.rs" <<'EOF'
use tally::{shares, total};

#[test]
fn total_of_two_lines() {
    println!("total of a=1, b=2");
    assert_eq!(total("a=1\nb=2\n"), 3);
}

#[test]
fn total_ignores_bad_lines() {
    println!("total with a bad line");
    assert_eq!(total("a=1\nnonsense\nb=2\n"), 3);
}

#[test]
fn total_of_returns_is_negative() {
    let t = total("sold=5\nreturned=-7\n");
    println!("total: {t}");
    assert!(t < 0, "a tally with more returns than sales must be negative, got {t}");
}

#[test]
fn shares_sum_to_100() {
    let s = shares("a=1\nb=1\nc=1\n");
    println!("shares: {s:?}");
    let sum: i64 = s.iter().map(|(_, p)| p).sum();
    assert_eq!(sum, 100, "shares {s:?} do not sum to 100");
}
EOF
}

write_truth_py() {  # the script that derives truth.json from the machine-readable output
cat > "$1" <<'EOF'
"""Builds truth.json (and the trimmed machine-readable report) of a Rust fixture.

  truth.py libtest RAW_JSONL JOB_LOG CASE_DIR TOOL COMMAND
      RAW_JSONL: `cargo test -- -Z unstable-options --format json` output.
  truth.py cargo RAW_JSONL JOB_LOG CASE_DIR TOOL COMMAND
      RAW_JSONL: `cargo build|clippy --message-format=json` output (several runs appended).
"""

import json
import re
import sys
from pathlib import Path


def events(path):
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                pass


def uniq(xs):
    seen, out = set(), []
    for x in xs:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


def check(truth, log):
    for key in ("failing_tests", "error_locations", "error_codes", "totals"):
        for s in truth[key]:
            assert s in log, f"{key}: {s!r} does not occur in job.log"


LOC = [
    re.compile(r"panicked at ([^\s:]+\.rs):(\d+):\d+:"),
    re.compile(r"did not panic as expected at ([^\s:]+\.rs):(\d+):\d+"),
    re.compile(r"--> ([^\s:]+\.rs):(\d+):\d+"),
]


def libtest(raw, log_path, case, tool, command):
    log = Path(log_path).read_text()
    failing, locations, codes, totals, keep, panics = [], [], [], [], [], []
    started, finished = [], set()
    # lines as read: without a CI runner's timestamp prefix and colours
    lines = [re.sub(r"^\d{4}-\d\d-\d\dT[\d:.]+Z ?", "", re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", ln))
             for ln in log.splitlines()]
    pos = 0

    def close_suite(ev):
        nonlocal pos
        if ev is None:  # the test binary died: the tests it never finished
            failing.extend(n for n in started if n not in finished and n in log)
            return
        word = "ok" if ev["event"] == "ok" else "FAILED"
        prefix = (f"test result: {word}. {ev['passed']} passed; {ev['failed']} failed; {ev['ignored']} ignored; "
                  f"{ev['measured']} measured; {ev['filtered_out']} filtered out; finished in ")
        for i in range(pos, len(lines)):
            if lines[i].strip().startswith(prefix):
                totals.append(lines[i].strip())
                pos = i + 1
                break
        else:
            raise AssertionError(f"no totals line for {prefix!r}")

    open_suite = False
    for ev in events(raw):
        if ev.get("type") == "suite":
            if ev["event"] == "started":
                if open_suite:
                    close_suite(None)
                started, finished, open_suite = [], set(), True
            else:
                close_suite(ev)
                open_suite = False
            keep.append(ev)
        elif ev.get("type") == "test":
            if ev["event"] == "started":
                started.append(ev["name"])
                continue
            finished.add(ev["name"])
            if ev["event"] in ("failed", "timeout"):
                failing.append(ev["name"])
                keep.append(ev)
                text = (ev.get("stdout") or "") + "\n" + (ev.get("message") or "")
                for rx in LOC:
                    locations += [f"{f}:{n}" for f, n in rx.findall(text) if not f.startswith("/")]
                codes += re.findall(r"error\[(E\d{4})\]", text)
                # the panic message's first line; a should_panic test's note
                panics += [["panicked at", m] for m in re.findall(r"panicked at [^\n]*:\n([^\n]+)", text)]
                if "did not panic as expected" in text:
                    panics.append(["note", "test did not panic as expected"])
    if open_suite:
        close_suite(None)
    truth = {"tool": tool, "command": command, "failing_tests": uniq(failing),
             "error_locations": uniq(locations), "error_codes": uniq(codes), "totals": totals}
    if panics:  # scored as exceptions: type and message
        truth["exceptions"] = [list(x) for x in dict.fromkeys(map(tuple, panics))]
        for _, msg in truth["exceptions"]:
            assert msg in log, f"panic message {msg!r} does not occur in job.log"
    check(truth, log)
    with open(Path(case) / "report.jsonl", "w") as f:
        for ev in keep:
            f.write(json.dumps(ev) + "\n")
    return truth


def cargo(raw, log_path, case, tool, command):
    log = Path(log_path).read_text()
    diags, failed_pkgs = [], []
    for ev in events(raw):
        if ev.get("reason") != "compiler-message":
            continue
        m = ev["message"]
        if m["level"] not in ("error", "warning") or re.match(r"(aborting due to|\d+ warnings? emitted)", m["message"]):
            continue
        span = next((s for s in m.get("spans", []) if s.get("is_primary")), None)
        # "path+file:///x/crates/inv-store#1.8.0" or "path+file:///x/crates/foo#inv-store@1.8.0"
        url, _, frag = ev["package_id"].partition("#")
        pkg = frag.split("@")[0] if "@" in frag else url.rstrip("/").rsplit("/", 1)[-1]
        d = {"package": pkg, "level": m["level"], "code": (m.get("code") or {}).get("code"),
             "message": m["message"], "file": span["file_name"] if span else None,
             "line": span["line_start"] if span else None}
        if d not in diags:
            diags.append(d)
        if m["level"] == "error":
            failed_pkgs.append(pkg)
    errors = [d for d in diags if d["level"] == "error"]
    locations = uniq(f"{d['file']}:{d['line']}" for d in errors if d["file"])
    # rustc codes (E0308) show as error[E0308]; lint names as `#[allow(clippy::needless_return)]`
    codes = uniq(d["code"] for d in errors if d["code"])
    totals = []
    for pkg in uniq(failed_pkgs):
        found = [l.strip() for l in log.splitlines() if l.startswith(f"error: could not compile `{pkg}` (")]
        assert found, f"no 'could not compile' line for {pkg}"
        totals += found
    truth = {"tool": tool, "command": command, "failing_tests": [], "error_locations": locations,
             "error_codes": codes, "totals": uniq(totals)}
    check(truth, log)
    report = {"errors": errors, "warnings": len([d for d in diags if d["level"] == "warning"]),
              "warning_sample": [d for d in diags if d["level"] == "warning"][:10]}
    Path(case, "diagnostics.json").write_text(json.dumps(report, indent=1) + "\n")
    return truth


if __name__ == "__main__":
    mode, raw, log, case, tool, command = sys.argv[1:7]
    truth = {"libtest": libtest, "cargo": cargo}[mode](raw, log, case, tool, command)
    Path(case, "truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    print(f"{case}: {len(truth['failing_tests'])} failing tests, {len(truth['error_locations'])} locations, "
          f"{len(truth['error_codes'])} codes, {len(truth['totals'])} totals")
EOF
}

write_gha_py() {  # the script that wraps console output as a GitHub Actions job log shows it
cat > "$1" <<'EOF'
"""Writes a GitHub Actions job log of one failing `run:` step.

  gha.py OUT_LOG COMMAND OUTPUT_FILE EXIT_CODE [ENV=VALUE...]

Every line gets the runner's timestamp prefix; the step is opened by `##[group]Run ...`
with its echoed script, `shell:` and `env:`, closed by `##[endgroup]`, followed by its
output and `##[error]Process completed with exit code N.`; checkout before it and the
post-job cleanup after it, as the runner prints them.
"""

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

out, command, output, code = sys.argv[1:5]
env = [kv.split("=", 1) for kv in sys.argv[5:]]
t = datetime(2026, 5, 11, 8, 2, 13, 412000, tzinfo=timezone.utc)
lines = []


def emit(text, step_ms=0.4):
    global t
    t += timedelta(milliseconds=step_ms)
    lines.append(t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}0Z " + text if text else
                 t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}0Z")


emit("Current runner version: '2.333.1'")
emit("##[group]Operating System")
for x in ("Ubuntu", "24.04.4", "LTS"):
    emit(x)
emit("##[endgroup]")
emit("Complete job name: test (ubuntu-latest)")
emit("##[group]Run actions/checkout@v4")
emit("with:")
emit("  repository: acme/tally")
emit("  fetch-depth: 1")
emit("##[endgroup]")
emit("Syncing repository: acme/tally", 120)
emit("[command]/usr/bin/git checkout --progress --force -B main refs/remotes/origin/main", 300)
emit("Switched to a new branch 'main'")
emit(f"##[group]Run {command}", 50)
emit(f"\x1b[36;1m{command}\x1b[0m")
emit("shell: /usr/bin/bash -e {0}")
emit("env:")
for k, v in env:
    emit(f"  {k}: {v}")
emit("##[endgroup]")
for line in Path(output).read_text().splitlines():
    emit(line, 2.5)
emit(f"##[error]Process completed with exit code {code}.", 20)
emit("Post job cleanup.", 300)
emit("[command]/usr/bin/git version")
emit("git version 2.53.0")
emit("Cleaning up orphan processes")
Path(out).write_text("\n".join(lines) + "\n")
EOF
}

# ------------------------------------------------------------------ running the jobs
run() {  # run LOG CMD...: print the command as `bash -x` does, append its output, keep going
  local log=$1; shift
  printf '+ %s\n' "$*" >> "$log"
  "$@" >> "$log" 2>&1 || true
}

fixture() {  # fixture NAME: a fresh fixture folder
  rm -rf "${OUT:?}/$1"; mkdir -p "$OUT/$1"; echo "$OUT/$1"
}

job_ledger() {
  local case; case=$(fixture rust-workspace-tests)
  local log=$case/job.log
  cd "$WORK"; write_ledger "$WORK/rs-ledger"
  cd "$WORK/rs-ledger"
  : > "$log"
  run "$log" cargo --version
  run "$log" rustc --version
  run "$log" cargo build --workspace --all-targets
  run "$log" cargo test --workspace --no-fail-fast
  run "$log" cargo run -p ledger-cli -- check journals/2024.ledger
  # second pass, machine-readable (kept out of job.log)
  RUSTC_BOOTSTRAP=1 cargo test --workspace --no-fail-fast -- -Z unstable-options --format json \
    > "$TMP/ledger.jsonl" 2> /dev/null || true
  python3 "$TMP/truth.py" libtest "$TMP/ledger.jsonl" "$log" "$case" "cargo test (libtest)" \
    "cargo test --workspace --no-fail-fast"
}

job_inventory() {
  local case; case=$(fixture rust-compile-errors)
  local log=$case/job.log
  cd "$WORK"; write_inventory "$WORK/rs-inventory"
  cd "$WORK/rs-inventory"
  : > "$log"
  run "$log" cargo --version
  run "$log" cargo test -p inv-model --no-fail-fast
  run "$log" cargo build --workspace --keep-going
  run "$log" cargo test -p inv-report
  cargo clean -q
  { cargo build --workspace --keep-going --message-format=json 2> /dev/null || true
    cargo test -p inv-report --no-run --message-format=json 2> /dev/null || true; } > "$TMP/inventory.jsonl"
  python3 "$TMP/truth.py" cargo "$TMP/inventory.jsonl" "$log" "$case" "cargo build (rustc)" \
    "cargo build --workspace --keep-going"
}

job_pricing() {
  local case; case=$(fixture rust-clippy-fmt)
  local log=$case/job.log
  cd "$WORK"; write_pricing "$WORK/rs-pricing"
  cd "$WORK/rs-pricing"
  : > "$log"
  run "$log" cargo fmt --version
  run "$log" cargo fmt --all -- --check
  run "$log" cargo clippy --version
  run "$log" cargo clippy --workspace --all-targets --keep-going -- -D warnings
  run "$log" cargo test --workspace
  run "$log" cargo doc --workspace --no-deps
  cargo clean -q
  cargo clippy --workspace --all-targets --keep-going --message-format=json -- -D warnings \
    > "$TMP/pricing.jsonl" 2> /dev/null || true
  python3 "$TMP/truth.py" cargo "$TMP/pricing.jsonl" "$log" "$case" "cargo clippy" \
    "cargo clippy --workspace --all-targets --keep-going -- -D warnings"
}

# An excerpt of a real GitHub Actions job (tokio; LogDx-CI benchmark, CC-BY-4.0): cargo
# nextest with a failing trybuild test. ANSI colours removed, runner timestamps kept.
job_nextest_excerpt() {
  [ -f "$TOKIO_LOG" ] || { echo "skipping rust-nextest-excerpt: $TOKIO_LOG not found"; return 0; }
  local case; case=$(fixture rust-nextest-excerpt)
  sed -n '2336,2343p;2440,2459p;2755,2812p;3088,3121p' "$TOKIO_LOG" \
    | sed -E 's/\x1b\[[0-9;]*[A-Za-z]//g; s/\x1b\([AB0-2]//g' > "$case/job.log"
  cat > "$case/SOURCE.md" <<'EOF'
# Source

`job.log` is an excerpt (lines 2336-2343, 2440-2459, 2755-2812 and 3088-3121, ANSI colour
codes removed) of the raw log of case `cargo-tokio-001` of the LogDx-CI benchmark: a GitHub
Actions job of the tokio-rs/tokio repository ("test all crates in the workspace with all
features") running `cargo nextest run`, where the trybuild test `compile_fail_full` fails
with a mismatch of expected rustc diagnostics.

The LogDx-CI benchmark is distributed under the Creative Commons Attribution 4.0
International licence (CC-BY-4.0); this excerpt is redistributed under the same licence.

`truth.json` was checked by hand against the excerpt.
EOF
  cat > "$case/truth.json" <<'EOF'
{
  "tool": "cargo nextest + trybuild",
  "command": "cargo nextest run --workspace --exclude tokio --exclude examples --features full,test-util",
  "failing_tests": [
    "tests-build::macros compile_fail_full",
    "compile_fail_full",
    "tests/fail/macros_type_mismatch.rs"
  ],
  "error_locations": [
    "tests/fail/macros_type_mismatch.rs:5",
    "tests/fail/macros_type_mismatch.rs:10"
  ],
  "error_codes": [
    "E0308"
  ],
  "totals": [
    "Summary [  24.251s] 1717 tests run: 1717 passed, 22 skipped",
    "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 9.87s",
    "1 of 10 tests failed",
    "Summary [   9.876s] 396 tests run: 395 passed, 1 failed, 1 skipped"
  ]
}
EOF
  python3 - "$case" <<'EOF'
import json, sys
from pathlib import Path
case = Path(sys.argv[1])
log = (case / "job.log").read_text()
assert len(log.splitlines()) <= 120
truth = json.loads((case / "truth.json").read_text())
for key in ("failing_tests", "error_locations", "error_codes", "totals"):
    for s in truth[key]:
        assert s in log, f"{key}: {s!r} does not occur in job.log"
print(f"{case}: excerpt of {len(log.splitlines())} lines checked")
EOF
}

# One crate, one failing test suite, under each of libtest's output modes (captured, with
# --show-output, --nocapture, --test-threads=1, --quiet, RUST_BACKTRACE): the same failing
# tests, named from different lines. Two of them as GitHub Actions shows a `run:` step.
job_tally() {
  cd "$WORK"; write_tally "$WORK/rs-tally"
  cd "$WORK/rs-tally"
  RUSTC_BOOTSTRAP=1 RUST_BACKTRACE=0 cargo test --no-fail-fast -- -Z unstable-options --format json \
    > "$TMP/tally.jsonl" 2> /dev/null || true
  local case log code
  # captured output of every test shown, passing ones too (GitHub Actions, colours on)
  case=$(fixture rust-libtest-show-output); log=$case/job.log
  cargo clean -q
  code=0; CARGO_TERM_COLOR=always RUST_BACKTRACE=0 cargo test --no-fail-fast -- --show-output > "$TMP/out.log" 2>&1 || code=$?
  python3 "$TMP/gha.py" "$log" "cargo test --no-fail-fast -- --show-output" "$TMP/out.log" "$code" \
    CARGO_TERM_COLOR=always RUST_BACKTRACE=0
  python3 "$TMP/truth.py" libtest "$TMP/tally.jsonl" "$log" "$case" "cargo test (libtest)" \
    "cargo test --no-fail-fast -- --show-output"
  # output not captured: interleaved across threads, backtraces on (GitHub Actions)
  case=$(fixture rust-libtest-nocapture); log=$case/job.log
  code=0; CARGO_TERM_COLOR=always RUST_BACKTRACE=1 cargo test --no-fail-fast -- --nocapture > "$TMP/out.log" 2>&1 || code=$?
  python3 "$TMP/gha.py" "$log" "cargo test --no-fail-fast -- --nocapture" "$TMP/out.log" "$code" \
    CARGO_TERM_COLOR=always RUST_BACKTRACE=1
  python3 "$TMP/truth.py" libtest "$TMP/tally.jsonl" "$log" "$case" "cargo test (libtest)" \
    "cargo test --no-fail-fast -- --nocapture"
  # one thread: captured, then not captured (each test's output between "test x ... " and its result)
  case=$(fixture rust-libtest-serial); log=$case/job.log
  : > "$log"
  RUST_BACKTRACE=0 run "$log" cargo test --no-fail-fast -- --test-threads=1
  RUST_BACKTRACE=0 run "$log" cargo test --no-fail-fast -- --nocapture --test-threads=1
  python3 "$TMP/truth.py" libtest "$TMP/tally.jsonl" "$log" "$case" "cargo test (libtest)" \
    "cargo test --no-fail-fast -- --test-threads=1"
  # full backtraces of every panic
  case=$(fixture rust-libtest-backtrace); log=$case/job.log
  : > "$log"
  RUST_BACKTRACE=full run "$log" cargo test --no-fail-fast
  python3 "$TMP/truth.py" libtest "$TMP/tally.jsonl" "$log" "$case" "cargo test (libtest)" \
    "RUST_BACKTRACE=full cargo test --no-fail-fast"
  # terse progress (no test names) and output not captured: only the failures lists name them
  case=$(fixture rust-libtest-quiet); log=$case/job.log
  : > "$log"
  RUST_BACKTRACE=0 run "$log" cargo test --quiet --no-fail-fast -- --nocapture
  python3 "$TMP/truth.py" libtest "$TMP/tally.jsonl" "$log" "$case" "cargo test (libtest)" \
    "cargo test --quiet --no-fail-fast -- --nocapture"
  for case in show-output nocapture serial backtrace quiet; do
    cat > "$OUT/rust-libtest-$case/SOURCE.md" <<'EOF'
# Source

Made by `bench/ecosystems/rust.sh` (`job_tally`): the std-only crate `tally` (written by
`write_tally`: passing tests that print, an `assert_eq!` mismatch, a `panic!`, an `unwrap()` on
an `Err`, a `#[should_panic]` test that does not panic, a failing integration test in
`tests/api.rs` and a failing doctest) tested with cargo 1.95 under one of libtest's output
modes; the command is in `truth.json`. `job.log` is the combined stdout and stderr (`2>&1`);
for `show-output` and `nocapture` wrapped as a GitHub Actions job log shows a `run:` step
(timestamps, `##[group]Run ...`, `##[error]Process completed with exit code 101.`; cargo's
colours on). `truth.json` and `report.jsonl` come from a second run of the same tests with
libtest's JSON output (`-Z unstable-options --format json`): the failing tests, their panic
locations and the totals line of each test binary.
EOF
  done
}

# ------------------------------------------------------------------ main
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$REPO/tokopt_pipeline_tests/data/ecosystems}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
WORK=/tmp/ci
TOKIO_LOG=${TOKIO_LOG:-/work/shared/corpus/logdx-dev/cargo-tokio-001/raw.log}
TMP=$(mktemp -d /tmp/rust-fixtures.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

if ! command -v cargo > /dev/null; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    PATH=$HOME/.cargo/bin:$PATH
  else  # Debian's toolchain is older: the fixtures' exact wording may differ
    apt-get update -qq && apt-get install -y -qq cargo rustc rust-clippy rustfmt python3 > /dev/null
  fi
fi
command -v python3 > /dev/null || { apt-get update -qq && apt-get install -y -qq python3 > /dev/null; }

# What a CI runner looks like: no terminal, no colours, backtraces on, no incremental builds.
unset TERM
export CARGO_TERM_COLOR=never RUST_BACKTRACE=1 CARGO_INCREMENTAL=0 LC_ALL=C.UTF-8
mkdir -p "$WORK"
write_truth_py "$TMP/truth.py"
write_gha_py "$TMP/gha.py"

# RUST_JOBS: the jobs to run (default: all)
for job in ${RUST_JOBS:-ledger inventory pricing nextest_excerpt tally}; do
  "job_$job"
done
du -sh "$OUT"/rust-*
