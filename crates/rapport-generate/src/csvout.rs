//! Streaming CSV output of domain rows, one file per import kind.
//!
//! Rows are serialized from the domain's row types through serde and written
//! with the `csv` crate, so quoting and escaping are the csv crate's and the
//! column names are the row types' field names. `csv::Writer::serialize`
//! itself cannot be used: the row types skip `None` fields
//! (`skip_serializing_if`), which serde reports through
//! `SerializeStruct::skip_field`, and the csv crate ignores that call, so rows
//! with absent optional fields would come out shorter than the header. The
//! small serializer here writes an empty cell for a skipped field instead,
//! which the importer reads as "absent".
//!
//! The header comes from the kind's JSON Schema (the import contract), so a
//! file with no rows still has the right header; the first row's field names
//! are checked against it, so a drift between schema and row type is an error
//! rather than a silently shifted file.

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};

use rapport_domain::ImportKind;
use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

use crate::GenerateError;

/// Buffer for each output file: large enough that the eight files written
/// in turn do not thrash the disk with small writes.
const BUFFER: usize = 256 * 1024;

/// A CSV file of one import kind being written row by row.
pub struct RowWriter {
    kind: ImportKind,
    path: PathBuf,
    writer: csv::Writer<File>,
    header: Vec<String>,
    rows: u64,
    checked: bool,
    cell: String,
}

impl RowWriter {
    /// Creates `dir/<kind>.csv` and writes its header.
    pub fn create(dir: &Path, kind: ImportKind) -> Result<RowWriter, GenerateError> {
        let path = dir.join(format!("{}.csv", kind.as_str()));
        let file = File::create(&path).map_err(|source| GenerateError::Io {
            path: path.clone(),
            source,
        })?;
        let header = header_of(kind)?;
        let mut writer = csv::WriterBuilder::new()
            .buffer_capacity(BUFFER)
            .from_writer(file);
        writer
            .write_record(&header)
            .map_err(|source| GenerateError::Csv {
                path: path.clone(),
                source,
            })?;
        Ok(RowWriter {
            kind,
            path,
            writer,
            header,
            rows: 0,
            checked: false,
            cell: String::with_capacity(64),
        })
    }

    /// Appends one row.
    pub fn write<T: Serialize>(&mut self, row: &T) -> Result<(), GenerateError> {
        let mut ser = RowSer {
            writer: &mut self.writer,
            cell: &mut self.cell,
            // Only the first row is checked against the header: every row of
            // a type serializes the same fields in the same order.
            header: if self.checked {
                None
            } else {
                Some(&self.header)
            },
            position: 0,
        };
        match row.serialize(&mut ser) {
            Ok(()) => {
                self.checked = true;
                self.rows += 1;
                Ok(())
            }
            Err(SerError::Csv(source)) => Err(GenerateError::Csv {
                path: self.path.clone(),
                source,
            }),
            Err(SerError::Layout(reason)) => Err(GenerateError::Layout {
                kind: self.kind.as_str().to_owned(),
                reason,
            }),
        }
    }

    /// Flushes the file and returns (kind, path, rows).
    pub fn finish(mut self) -> Result<(String, PathBuf, u64), GenerateError> {
        self.writer.flush().map_err(|source| GenerateError::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok((self.kind.as_str().to_owned(), self.path, self.rows))
    }
}

/// The column names of a kind, in the order of its schema's properties
/// (which is the row type's field order).
fn header_of(kind: ImportKind) -> Result<Vec<String>, GenerateError> {
    let schema = serde_json::to_value(kind.schema()).map_err(|e| GenerateError::Layout {
        kind: kind.as_str().to_owned(),
        reason: format!("cannot read the schema: {e}"),
    })?;
    let properties = schema
        .get("properties")
        .and_then(|p| p.as_object())
        .ok_or_else(|| GenerateError::Layout {
            kind: kind.as_str().to_owned(),
            reason: "the schema has no properties".to_owned(),
        })?;
    Ok(properties.keys().cloned().collect())
}

/// Why a row could not be written.
#[derive(Debug)]
enum SerError {
    Csv(csv::Error),
    Layout(String),
}

impl std::fmt::Display for SerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SerError::Csv(e) => e.fmt(f),
            SerError::Layout(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        SerError::Layout(msg.to_string())
    }
}

fn layout<T>(what: &str) -> Result<T, SerError> {
    Err(SerError::Layout(format!(
        "{what} cannot be written as a CSV row or cell"
    )))
}

/// Serializes one struct as one CSV record.
struct RowSer<'a> {
    writer: &'a mut csv::Writer<File>,
    cell: &'a mut String,
    header: Option<&'a [String]>,
    position: usize,
}

impl RowSer<'_> {
    fn expect_column(&mut self, key: &'static str) -> Result<(), SerError> {
        if let Some(header) = self.header {
            match header.get(self.position) {
                Some(name) if name == key => {}
                other => {
                    return Err(SerError::Layout(format!(
                        "field `{key}` is in column {} but the schema's column there is {:?}",
                        self.position + 1,
                        other
                    )))
                }
            }
        }
        self.position += 1;
        Ok(())
    }
}

/// Every serializer method that is not a struct: a row must be a struct.
macro_rules! not_a_row {
    ($($method:ident($($arg:ty),*);)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Self::Error> {
            layout(stringify!($method))
        })*
    };
}

impl Serializer for &mut RowSer<'_> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Impossible<(), SerError>;
    type SerializeTuple = Impossible<(), SerError>;
    type SerializeTupleStruct = Impossible<(), SerError>;
    type SerializeTupleVariant = Impossible<(), SerError>;
    type SerializeMap = Impossible<(), SerError>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), SerError>;

    not_a_row! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_str(&str); serialize_bytes(&[u8]); serialize_none(); serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<(), SerError> {
        layout("an option")
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), SerError> {
        layout("a newtype")
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), SerError> {
        layout("an enum")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        layout("a sequence")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, SerError> {
        layout("a tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, SerError> {
        layout("a tuple struct")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        layout("an enum")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        layout("a map")
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, SerError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        layout("an enum")
    }
}

impl SerializeStruct for &mut RowSer<'_> {
    type Ok = ();
    type Error = SerError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerError> {
        self.expect_column(key)?;
        self.cell.clear();
        value.serialize(CellSer { out: self.cell })?;
        self.writer
            .write_field(self.cell.as_bytes())
            .map_err(SerError::Csv)
    }

    /// A `None` that the row type skips: an empty cell, which the importer
    /// reads as an absent field.
    fn skip_field(&mut self, key: &'static str) -> Result<(), SerError> {
        self.expect_column(key)?;
        self.writer.write_field(b"").map_err(SerError::Csv)
    }

    fn end(self) -> Result<(), SerError> {
        if let Some(header) = self.header {
            if self.position != header.len() {
                return Err(SerError::Layout(format!(
                    "the row has {} fields but the schema has {} columns",
                    self.position,
                    header.len()
                )));
            }
        }
        // An empty iterator ends the record started by `write_field`.
        self.writer
            .write_record(std::iter::empty::<&[u8]>())
            .map_err(SerError::Csv)
    }
}

/// Serializes one scalar field value as the text of one cell.
struct CellSer<'a> {
    out: &'a mut String,
}

impl CellSer<'_> {
    fn display(self, v: impl std::fmt::Display) -> Result<(), SerError> {
        write!(self.out, "{v}").map_err(|e| SerError::Layout(e.to_string()))
    }
}

impl Serializer for CellSer<'_> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Impossible<(), SerError>;
    type SerializeTuple = Impossible<(), SerError>;
    type SerializeTupleStruct = Impossible<(), SerError>;
    type SerializeTupleVariant = Impossible<(), SerError>;
    type SerializeMap = Impossible<(), SerError>;
    type SerializeStruct = Impossible<(), SerError>;
    type SerializeStructVariant = Impossible<(), SerError>;

    fn serialize_bool(self, v: bool) -> Result<(), SerError> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), SerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), SerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), SerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), SerError> {
        if v < 0 {
            self.out.push('-');
        }
        crate::calendar::push_padded(self.out, v.unsigned_abs(), 1);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), SerError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), SerError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), SerError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), SerError> {
        crate::calendar::push_padded(self.out, v, 1);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), SerError> {
        self.serialize_f64(f64::from(v))
    }
    /// Rust's `Display` for floats is the shortest text that reads back to
    /// the same value (`35.17`, not `35.170000000000002`).
    fn serialize_f64(self, v: f64) -> Result<(), SerError> {
        if !v.is_finite() {
            return layout("a non-finite number");
        }
        self.display(v)
    }
    fn serialize_char(self, v: char) -> Result<(), SerError> {
        self.out.push(v);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        self.out.push_str(v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), SerError> {
        layout("bytes")
    }
    fn serialize_none(self) -> Result<(), SerError> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, v: &T) -> Result<(), SerError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), SerError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), SerError> {
        Ok(())
    }
    /// Enums such as `InteractionKind` are written by their serde name
    /// (`ticket_opened`), which honours `rename_all`.
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), SerError> {
        self.out.push_str(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), SerError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), SerError> {
        layout("an enum with data")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        layout("a sequence")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, SerError> {
        layout("a tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, SerError> {
        layout("a tuple struct")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        layout("an enum with data")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        layout("a map")
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, SerError> {
        layout("a nested struct")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        layout("an enum with data")
    }
}
