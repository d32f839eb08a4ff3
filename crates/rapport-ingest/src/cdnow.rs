//! The CDNOW purchase log, read as customers or as transactions.
//!
//! CDNOW is the standard buy-till-you-die data set: one line per purchase,
//! whitespace-separated, CRLF line endings. Two layouts exist, told apart by
//! the number of columns of the first data line:
//!
//! * master (4 columns): `customer_id yyyymmdd number_of_cds dollar_value`;
//!   the copy redistributed with `lifetimes` starts with a header line naming
//!   them, which is skipped (a first line whose first token is not a number);
//! * 1/10 sample (5 columns): `master_id sample_id yyyymmdd cds dollars`, no
//!   header. The customer id used is the **sample** id (1..=2357): it is the
//!   `ID` column of `cdnow_customers_summary.csv`, whose frequency, recency
//!   and T match the sample-id grouping for all 2,357 customers and the
//!   master-id grouping for none (sample ids are not even in master-id order).
//!
//! Ids are the numbers without their zero padding (`00001` -> `"1"`).
//! Importing customers yields one row per distinct customer, in order of first
//! appearance, with `signup_date` = first purchase date; the whole log is read
//! first because that date is a minimum over the customer's lines.
//! Importing transactions streams one row per line with the id
//! `<customer>-<yyyymmdd>-<n>`, `n` counting the customer's purchases on that
//! day from 1, so re-importing the log yields the same ids.
//!
//! Rows are handed on as JSON objects and validated like any other file.

use std::collections::{HashMap, VecDeque};
use std::io::Read;

use rapport_domain::ImportKind;
use serde_json::{Map, Value};

use crate::jsonl::Lines;
use crate::reader::Raw;
use crate::schema::Problem;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Customers,
    Transactions,
}

/// Which of the two published layouts the file uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    Master,
    Sample,
}

impl Layout {
    fn columns(self) -> usize {
        match self {
            Layout::Master => 4,
            Layout::Sample => 5,
        }
    }
}

/// One purchase line.
struct Purchase {
    customer: u64,
    /// `yyyymmdd` as a number: orders like the date.
    date: u32,
    quantity: Value,
    amount: Value,
}

/// A CDNOW file being read.
pub(crate) struct CdnowSource {
    lines: Lines,
    mode: Mode,
    layout: Option<Layout>,
    /// Whether the header check is still to be done (first non-blank line).
    first: bool,
    /// Purchases so far per customer and day, for transaction ids.
    per_day: HashMap<(u64, u32), u32>,
    /// Customers mode: every item, produced after the whole log is read.
    pending: Option<VecDeque<Raw>>,
}

impl CdnowSource {
    pub fn new(kind: ImportKind, input: Box<dyn Read + Send>) -> Result<CdnowSource, Problem> {
        let mode = match kind {
            ImportKind::Customers => Mode::Customers,
            ImportKind::Transactions => Mode::Transactions,
            other => {
                return Err(Problem::row(format!(
                    "the cdnow format holds only customers and transactions, not {other}"
                )))
            }
        };
        Ok(CdnowSource {
            lines: Lines::new(input),
            mode,
            layout: None,
            first: true,
            per_day: HashMap::new(),
            pending: None,
        })
    }

    pub fn next_raw(&mut self) -> Option<Raw> {
        match self.mode {
            Mode::Transactions => self.next_transaction(),
            Mode::Customers => {
                if self.pending.is_none() {
                    self.pending = Some(self.read_customers());
                }
                self.pending.as_mut()?.pop_front()
            }
        }
    }

    fn next_transaction(&mut self) -> Option<Raw> {
        let (line, purchase) = match self.next_purchase()? {
            Ok(p) => p,
            Err(raw) => return Some(raw),
        };
        let n = self
            .per_day
            .entry((purchase.customer, purchase.date))
            .or_insert(0);
        *n += 1;
        let customer = purchase.customer.to_string();
        let mut object = Map::with_capacity(5);
        object.insert(
            "id".into(),
            Value::String(format!("{customer}-{:08}-{n}", purchase.date)),
        );
        object.insert("customer_id".into(), Value::String(customer));
        object.insert("date".into(), Value::String(iso_date(purchase.date)));
        object.insert("quantity".into(), purchase.quantity);
        object.insert("amount".into(), purchase.amount);
        Some(Raw::Object {
            line,
            object,
            problems: Vec::new(),
        })
    }

    /// Reads the whole log and returns one item per customer (at the line of
    /// its first purchase) and per bad line, in line order.
    fn read_customers(&mut self) -> VecDeque<Raw> {
        enum Slot {
            Customer(usize),
            Item(Raw),
        }
        let mut slots = Vec::new();
        // (customer, earliest date, line of first appearance)
        let mut customers: Vec<(u64, u32, u64)> = Vec::new();
        let mut index: HashMap<u64, usize> = HashMap::new();
        while let Some(next) = self.next_purchase() {
            match next {
                Ok((line, p)) => match index.get(&p.customer) {
                    Some(&i) => customers[i].1 = customers[i].1.min(p.date),
                    None => {
                        index.insert(p.customer, customers.len());
                        slots.push(Slot::Customer(customers.len()));
                        customers.push((p.customer, p.date, line));
                    }
                },
                Err(raw) => {
                    let fatal = matches!(raw, Raw::Fatal { .. });
                    slots.push(Slot::Item(raw));
                    if fatal {
                        break;
                    }
                }
            }
        }
        slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Item(raw) => raw,
                Slot::Customer(i) => {
                    let (id, date, line) = customers[i];
                    let mut object = Map::with_capacity(2);
                    object.insert("id".into(), Value::String(id.to_string()));
                    object.insert("signup_date".into(), Value::String(iso_date(date)));
                    Raw::Object {
                        line,
                        object,
                        problems: Vec::new(),
                    }
                }
            })
            .collect()
    }

    /// The next purchase, skipping blank lines and the master file's header;
    /// a bad line or a read failure comes back as the item to yield.
    fn next_purchase(&mut self) -> Option<Result<(u64, Purchase), Raw>> {
        loop {
            let (line, bytes) = match self.lines.next_line()? {
                Ok(l) => l,
                Err(fatal) => return Some(Err(fatal)),
            };
            let Ok(text) = std::str::from_utf8(bytes) else {
                return Some(Err(Raw::bad(line, Problem::row("is not valid UTF-8"))));
            };
            let tokens: Vec<&str> = text.split_ascii_whitespace().collect();
            if tokens.is_empty() {
                continue;
            }
            if std::mem::take(&mut self.first) && !tokens[0].bytes().all(|b| b.is_ascii_digit()) {
                continue; // the header line of CDNOW_master.txt
            }
            return Some(parse(&mut self.layout, self.mode, line, &tokens).map(|p| (line, p)));
        }
    }
}

/// Parses one purchase line; the first data line fixes the file's layout.
fn parse(
    layout_seen: &mut Option<Layout>,
    mode: Mode,
    line: u64,
    tokens: &[&str],
) -> Result<Purchase, Raw> {
    let layout = match *layout_seen {
        Some(l) => l,
        None => {
            let l = match tokens.len() {
                4 => Layout::Master,
                5 => Layout::Sample,
                n => {
                    return Err(Raw::bad(
                        line,
                        Problem::row(format!(
                        "has {n} columns; a CDNOW file has 4 (customer_id yyyymmdd cds dollars) \
                                 or 5 (master_id sample_id yyyymmdd cds dollars)"
                    )),
                    ))
                }
            };
            *layout_seen = Some(l);
            l
        }
    };
    if tokens.len() != layout.columns() {
        return Err(Raw::bad(
            line,
            Problem::row(format!(
                "has {} columns but the file's first row has {}",
                tokens.len(),
                layout.columns()
            )),
        ));
    }
    // Skip the sample's master id: the sample id is the customer id.
    let rest = match layout {
        Layout::Master => tokens,
        Layout::Sample => &tokens[1..],
    };
    let (id_field, date_field) = match mode {
        Mode::Customers => ("id", "signup_date"),
        Mode::Transactions => ("customer_id", "date"),
    };
    let mut problems = Vec::new();
    let customer = rest[0].parse::<u64>();
    if customer.is_err() {
        problems.push(Problem::field(
            id_field,
            format!("`{}` is not a numeric customer id", rest[0]),
        ));
    }
    let date = parse_yyyymmdd(rest[1]);
    if date.is_none() {
        problems.push(Problem::field(
            date_field,
            format!("`{}` is not a date in the form YYYYMMDD", rest[1]),
        ));
    }
    // Customers need only the id and the date; the purchase columns are
    // checked when the same log is imported as transactions.
    let (quantity, amount) = match mode {
        Mode::Customers => (Value::Null, Value::Null),
        Mode::Transactions => (number(rest[2], true), number(rest[3], false)),
    };
    for (field, v) in [("quantity", &quantity), ("amount", &amount)] {
        if v.is_string() {
            let want = if field == "quantity" {
                "a whole number"
            } else {
                "a number"
            };
            problems.push(Problem::field(
                field,
                format!("expected {want}, found text"),
            ));
        }
    }
    match (customer, date) {
        (Ok(customer), Some(date)) if problems.is_empty() => Ok(Purchase {
            customer,
            date,
            quantity,
            amount,
        }),
        _ => Err(Raw::Bad { line, problems }),
    }
}

/// `19970101` -> 19970101, if it is eight digits. Calendar validity is left
/// to the schema's `date` format, which reports it with the usual message.
fn parse_yyyymmdd(s: &str) -> Option<u32> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// 19970101 -> `1997-01-01`.
fn iso_date(d: u32) -> String {
    format!("{:04}-{:02}-{:02}", d / 10_000, d / 100 % 100, d % 100)
}

/// A JSON number from a token, or the token as text when it is not one (the
/// caller reports it). Quantities must be whole numbers.
fn number(s: &str, whole: bool) -> Value {
    if whole {
        return s
            .parse::<i64>()
            .map_or_else(|_| Value::String(s.to_owned()), Value::from);
    }
    match s.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
        Some(n) => Value::Number(n),
        None => Value::String(s.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_convert() {
        assert_eq!(parse_yyyymmdd("19970101"), Some(19_970_101));
        assert_eq!(parse_yyyymmdd("1997011"), None);
        assert_eq!(parse_yyyymmdd("1997O101"), None);
        assert_eq!(iso_date(19_980_630), "1998-06-30");
    }
}
