//! `rapport-plugin.toml`: what a plugin is, which data it may read, and the
//! budgets it runs under.
//!
//! A manifest is checked in three steps, and the first failing step is
//! reported:
//!
//! 1. TOML syntax, errors naming line and column;
//! 2. the JSON Schema `schemas/plugin/manifest.schema.json` (generated from
//!    [`ManifestFile`] and embedded here), errors naming the path
//!    (`plugin.kind: "scorerr" is not one of ...`);
//! 3. the rules a schema cannot express: every input field is in the
//!    catalogue and of the kind's subject (identity data and protected
//!    attributes are refused by name), the WIT package is the one this host
//!    speaks, and default limits stay within the maximum limits.
//!
//! The configuration a plugin accepts is described by its own JSON Schema
//! (draft 2020-12 or 7), shipped in the package; [`ConfigSchema`] compiles it
//! and [`validate_config`] lists every violation with its JSON pointer.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fields::{FieldError, FieldSet};
use crate::{Limits, PluginKind, WitVersion, WIT_PACKAGE};

/// The manifest's file name inside a plugin directory and a package.
pub const MANIFEST_FILE: &str = "rapport-plugin.toml";

/// The checked-in manifest schema, which [`Manifest::parse`] validates against.
pub const MANIFEST_SCHEMA: &str = include_str!("../../../schemas/plugin/manifest.schema.json");

/// Largest linear memory a wasm32 instance can address, in MiB.
pub(crate) const MAX_MEMORY_MIB: u64 = 4096;

const ID_PATTERN: &str = "^[a-z][a-z0-9-]{1,63}$";
const VERSION_PATTERN: &str = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(\.(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?$";

// ---------------------------------------------------------------------------
// The file as written

/// `rapport-plugin.toml` as written. The JSON Schema of the file is generated
/// from this type; [`Manifest`] is the checked form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "rapport-plugin.toml",
    description = "The manifest of a Rapport plugin: what it is, which input fields it reads, and the budgets it runs under."
)]
pub struct ManifestFile {
    pub plugin: PluginSection,
    pub inputs: InputsSection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsSection>,
}

/// The `[plugin]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PluginSection {
    /// Stable identifier: a lower-case letter, then 1 to 63 lower-case letters, digits or dashes.
    #[schemars(regex(pattern = ID_PATTERN))]
    pub id: String,
    /// Semantic version `x.y.z`, optionally with a pre-release (`1.0.0-beta.1`); no build metadata.
    #[schemars(regex(pattern = VERSION_PATTERN))]
    pub version: String,
    /// What the plugin does, which is also the WIT world its component targets.
    #[schemars(schema_with = "kind_schema")]
    pub kind: PluginKind,
    /// The WIT package the component was built against, e.g. `rapport:plugin@0.2.0`.
    #[schemars(length(min = 1, max = 128))]
    pub wit: String,
    /// Who publishes the plugin.
    #[schemars(length(min = 1, max = 256))]
    pub publisher: String,
    /// What the plugin computes, in a sentence or two.
    #[schemars(length(min = 1, max = 4096))]
    pub description: String,
    /// SPDX licence expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub license: Option<String>,
    /// Path of the built component, relative to the manifest; used when packing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub component: Option<String>,
    /// Path of the JSON Schema (draft 2020-12 or 7) of the plugin's configuration, relative to the manifest.
    #[schemars(length(min = 1))]
    pub config_schema: String,
    /// Path of a default configuration, relative to the manifest; it must validate against the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub default_config: Option<String>,
}

/// The `[inputs]` table: the plugin's data-access scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputsSection {
    /// Input fields the plugin reads, by catalogue name (`rapport plugin fields`).
    #[schemars(extend("uniqueItems" = true))]
    pub fields: Vec<String>,
}

/// The `[limits]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Budgets of one call unless an installation sets others; the host's defaults when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Limits>,
    /// The most an installation may raise the budgets to; the default limits when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Limits>,
}

fn kind_schema(_: &mut SchemaGenerator) -> Schema {
    let names: Vec<&str> = PluginKind::ALL.iter().map(|k| k.as_str()).collect();
    schemars::json_schema!({
        "type": "string",
        "enum": names,
    })
}

/// The JSON Schema of `rapport-plugin.toml`, generated from [`ManifestFile`].
/// TOML has no null: an optional key is absent, so the `null` alternatives
/// the generator adds for `Option` fields are dropped.
pub fn manifest_schema() -> Schema {
    let mut value = schemars::schema_for!(ManifestFile).to_value();
    drop_null(&mut value);
    Schema::try_from(value).expect("a generated schema is an object")
}

fn drop_null(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    map.insert("type".to_owned(), only);
                }
            }
            if let Some(Value::Array(alternatives)) = map.get_mut("anyOf") {
                alternatives.retain(|a| a.get("type").is_none_or(|t| t != "null"));
                if alternatives.len() == 1 {
                    let only = alternatives.remove(0);
                    map.remove("anyOf");
                    if let Value::Object(inner) = only {
                        for (k, v) in inner {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            map.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// The checked manifest

/// A checked manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub id: String,
    pub version: String,
    pub kind: PluginKind,
    pub wit: String,
    pub publisher: String,
    pub description: String,
    pub license: Option<String>,
    /// The built component, relative to the manifest (packing only).
    pub component: Option<PathBuf>,
    /// The configuration schema, relative to the manifest.
    pub config_schema_path: PathBuf,
    /// The default configuration, relative to the manifest.
    pub default_config_path: Option<PathBuf>,
    /// The data-access scope.
    pub inputs: FieldSet,
    /// Budgets of one call unless an installation sets others.
    pub limits_default: Limits,
    /// The most an installation may raise the budgets to.
    pub limits_max: Limits,
}

/// Why a manifest, or a file it names, was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}:{line}:{column}: {message}")]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin} does not match the manifest schema: {}", errors.join("; "))]
    Schema { origin: String, errors: Vec<String> },
    #[error("{origin}: {field}: {message}")]
    Invalid {
        origin: String,
        field: String,
        message: String,
    },
    #[error("{origin}: inputs.fields: {error}")]
    Input { origin: String, error: FieldError },
    #[error("configuration schema {origin}: {message}")]
    ConfigSchema { origin: String, message: String },
    #[error("default configuration {origin}: {message}")]
    DefaultConfig { origin: String, message: String },
}

impl Manifest {
    /// Parses and checks the text of a `rapport-plugin.toml`. `origin` names
    /// the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Manifest, ManifestError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|span| line_column(text, span.start))
                .unwrap_or((1, 1));
            ManifestError::Syntax {
                origin: origin.to_owned(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        let json = toml_to_json(toml::Value::Table(table));

        let errors: Vec<String> = manifest_validator()
            .iter_errors(&json)
            .map(|e| describe_manifest_error(&e))
            .collect();
        if !errors.is_empty() {
            return Err(ManifestError::Schema {
                origin: origin.to_owned(),
                errors,
            });
        }
        let file: ManifestFile =
            serde_json::from_value(json).map_err(|e| ManifestError::Schema {
                origin: origin.to_owned(),
                errors: vec![e.to_string()],
            })?;
        Self::check(file, origin)
    }

    /// Reads `dir/rapport-plugin.toml` and checks it with the files it names:
    /// the configuration schema must compile and the default configuration,
    /// if any, must validate against it.
    pub fn load(dir: &Path) -> Result<Manifest, ManifestError> {
        Ok(PluginSource::load(dir)?.manifest)
    }

    /// The records the plugin receives.
    pub fn subject(&self) -> crate::fields::Subject {
        self.kind.subject()
    }

    /// The contract version `wit` names (checked when the manifest was
    /// read, so always one this host runs).
    pub fn wit_version(&self) -> WitVersion {
        WitVersion::from_package(&self.wit).unwrap_or(WitVersion::CURRENT)
    }

    fn check(file: ManifestFile, origin: &str) -> Result<Manifest, ManifestError> {
        let invalid = |field: &str, message: String| ManifestError::Invalid {
            origin: origin.to_owned(),
            field: field.to_owned(),
            message,
        };
        let p = file.plugin;

        let Some(wit) = WitVersion::from_package(&p.wit) else {
            return Err(invalid(
                "plugin.wit",
                format!(
                    "`{}` is not supported: this host speaks {} (new plugins: {WIT_PACKAGE})",
                    p.wit,
                    WitVersion::supported()
                ),
            ));
        };
        for (field, value) in [
            ("plugin.publisher", &p.publisher),
            ("plugin.description", &p.description),
        ] {
            if value.trim().is_empty() {
                return Err(invalid(field, "must not be blank".to_owned()));
            }
        }
        let component = p
            .component
            .as_deref()
            .map(|c| relative_path("plugin.component", c, origin))
            .transpose()?;
        let config_schema_path = relative_path("plugin.config_schema", &p.config_schema, origin)?;
        let default_config_path = p
            .default_config
            .as_deref()
            .map(|c| relative_path("plugin.default_config", c, origin))
            .transpose()?;

        let inputs = FieldSet::parse(
            file.inputs.fields.iter().map(String::as_str),
            p.kind.subject(),
        )
        .map_err(|error| ManifestError::Input {
            origin: origin.to_owned(),
            error,
        })?;
        if let Some(newer) = inputs
            .names()
            .iter()
            .filter_map(|n| crate::fields::lookup(n).ok())
            .find(|f| f.since > wit)
        {
            return Err(invalid(
                "inputs.fields",
                format!(
                    "`{}` needs {} or later, but the plugin is built for {wit}",
                    newer.name,
                    newer.since.package()
                ),
            ));
        }

        let limits = file.limits.unwrap_or(LimitsSection {
            default: None,
            max: None,
        });
        let default_given = limits.default.is_some();
        let limits_default = limits.default.unwrap_or_default();
        let limits_max = limits.max.unwrap_or(limits_default);
        for (table, l) in [
            ("limits.default", &limits_default),
            ("limits.max", &limits_max),
        ] {
            for (name, value) in [
                ("fuel_base", l.fuel_base),
                ("memory_mib", l.memory_mib),
                ("wall_ms", l.wall_ms),
            ] {
                if value == 0 {
                    return Err(invalid(
                        &format!("{table}.{name}"),
                        "must be at least 1".to_owned(),
                    ));
                }
            }
            if l.memory_mib > MAX_MEMORY_MIB {
                return Err(invalid(
                    &format!("{table}.memory_mib"),
                    format!(
                        "{} exceeds {MAX_MEMORY_MIB}, the most a wasm32 instance can address",
                        l.memory_mib
                    ),
                ));
            }
        }
        for (name, d, m) in [
            ("fuel_base", limits_default.fuel_base, limits_max.fuel_base),
            (
                "fuel_per_subject",
                limits_default.fuel_per_subject,
                limits_max.fuel_per_subject,
            ),
            (
                "memory_mib",
                limits_default.memory_mib,
                limits_max.memory_mib,
            ),
            ("wall_ms", limits_default.wall_ms, limits_max.wall_ms),
        ] {
            if d > m {
                let whence = if default_given {
                    ""
                } else {
                    ", the host default,"
                };
                return Err(invalid(
                    &format!("limits.default.{name}"),
                    format!("{d}{whence} exceeds limits.max.{name} ({m})"),
                ));
            }
        }

        Ok(Manifest {
            id: p.id,
            version: p.version,
            kind: p.kind,
            wit: p.wit,
            publisher: p.publisher,
            description: p.description,
            license: p.license,
            component,
            config_schema_path,
            default_config_path,
            inputs,
            limits_default,
            limits_max,
        })
    }
}

/// A path named by the manifest must be relative to it.
fn relative_path(field: &str, value: &str, origin: &str) -> Result<PathBuf, ManifestError> {
    let path = PathBuf::from(value);
    if path.is_absolute() || value.starts_with('/') || value.starts_with('\\') {
        return Err(ManifestError::Invalid {
            origin: origin.to_owned(),
            field: field.to_owned(),
            message: format!("`{value}` must be a path relative to the manifest"),
        });
    }
    Ok(path)
}

/// A plugin directory read from disk: the checked manifest and the files it
/// names, as bytes and parsed.
pub(crate) struct PluginSource {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub manifest_text: String,
    pub config_schema_text: String,
    pub config_schema: Value,
    pub default_config_text: Option<String>,
    pub default_config: Option<Value>,
}

impl PluginSource {
    pub fn load(dir: &Path) -> Result<PluginSource, ManifestError> {
        let path = dir.join(MANIFEST_FILE);
        let manifest_text = read_text(&path)?;
        let manifest = Manifest::parse(&manifest_text, &path.display().to_string())?;

        let schema_path = dir.join(&manifest.config_schema_path);
        let config_schema_text = read_text(&schema_path)?;
        let default_file = match &manifest.default_config_path {
            None => None,
            Some(rel) => {
                let path = dir.join(rel);
                Some((read_text(&path)?, path.display().to_string()))
            }
        };
        let (config_schema, default_config) = check_config_files(
            &config_schema_text,
            &schema_path.display().to_string(),
            default_file.as_ref().map(|(t, o)| (t.as_str(), o.as_str())),
        )?;
        let default_config_text = default_file.map(|(t, _)| t);
        Ok(PluginSource {
            dir: dir.to_owned(),
            manifest,
            manifest_text,
            config_schema_text,
            config_schema,
            default_config_text,
            default_config,
        })
    }
}

fn read_text(path: &Path) -> Result<String, ManifestError> {
    std::fs::read_to_string(path).map_err(|source| ManifestError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Parses and compiles a configuration schema and, if given, parses a default
/// configuration and validates it against the schema.
pub(crate) fn check_config_files(
    schema_text: &str,
    schema_origin: &str,
    default: Option<(&str, &str)>,
) -> Result<(Value, Option<Value>), ManifestError> {
    let schema: Value =
        serde_json::from_str(schema_text).map_err(|e| ManifestError::ConfigSchema {
            origin: schema_origin.to_owned(),
            message: format!("not JSON: {e}"),
        })?;
    let compiled = ConfigSchema::compile(&schema).map_err(|e| ManifestError::ConfigSchema {
        origin: schema_origin.to_owned(),
        message: e.to_string(),
    })?;
    let default = match default {
        None => None,
        Some((text, origin)) => {
            let value: Value =
                serde_json::from_str(text).map_err(|e| ManifestError::DefaultConfig {
                    origin: origin.to_owned(),
                    message: format!("not JSON: {e}"),
                })?;
            compiled
                .validate(&value)
                .map_err(|e| ManifestError::DefaultConfig {
                    origin: origin.to_owned(),
                    message: e.to_string(),
                })?;
            Some(value)
        }
    };
    Ok((schema, default))
}

fn manifest_validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Value =
            serde_json::from_str(MANIFEST_SCHEMA).expect("the embedded manifest schema is JSON");
        jsonschema::options()
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(&schema)
            .expect("the embedded manifest schema compiles")
    })
}

/// One schema error of a manifest, with its path in TOML terms.
fn describe_manifest_error(e: &jsonschema::ValidationError<'_>) -> String {
    let path = dotted_path(e.instance_path.as_str());
    let message = match (&e.kind, path.as_str()) {
        (jsonschema::error::ValidationErrorKind::Pattern { .. }, "plugin.id") => format!(
            "{} is not a plugin id: a lower-case letter, then 1 to 63 lower-case letters, digits or dashes ({ID_PATTERN})",
            e.instance
        ),
        (jsonschema::error::ValidationErrorKind::Pattern { .. }, "plugin.version") => format!(
            "{} is not a semantic version x.y.z, optionally with a pre-release (1.0.0-beta.1), without build metadata ({VERSION_PATTERN})",
            e.instance
        ),
        _ => e.to_string(),
    };
    if path.is_empty() {
        format!("(top level): {message}")
    } else {
        format!("{path}: {message}")
    }
}

/// `/inputs/fields/2` → `inputs.fields[2]`.
fn dotted_path(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

// ---------------------------------------------------------------------------
// Plugin configuration

/// One way a configuration fails its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer of the offending value (`/thresholds/recency`), empty for
    /// the whole document.
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(f, "(root): {}", self.message)
        } else {
            write!(f, "{}: {}", self.pointer, self.message)
        }
    }
}

/// Why a configuration, or its schema, was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the configuration schema is not valid: {0}")]
    Schema(String),
    #[error(
        "the configuration does not match the plugin's schema: {}",
        list(violations)
    )]
    Invalid { violations: Vec<Violation> },
}

fn list(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A plugin's configuration schema, compiled once.
pub struct ConfigSchema {
    validator: jsonschema::Validator,
}

impl fmt::Debug for ConfigSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConfigSchema")
    }
}

const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";
const DRAFT_7: &str = "http://json-schema.org/draft-07/schema";

impl ConfigSchema {
    /// Compiles a configuration schema: draft 2020-12 (the default when
    /// `$schema` is absent) or draft 7, self-contained (no external `$ref`),
    /// itself valid against its draft's meta-schema. Patterns use a
    /// linear-time regex engine.
    pub fn compile(schema: &Value) -> Result<ConfigSchema, ConfigError> {
        let draft = match schema {
            Value::Bool(_) => jsonschema::Draft::Draft202012,
            Value::Object(map) => match map.get("$schema") {
                None => jsonschema::Draft::Draft202012,
                Some(Value::String(s)) => {
                    let s = s.trim_end_matches('#');
                    if s == DRAFT_2020_12 {
                        jsonschema::Draft::Draft202012
                    } else if s == DRAFT_7 || s == "https://json-schema.org/draft-07/schema" {
                        jsonschema::Draft::Draft7
                    } else {
                        return Err(ConfigError::Schema(format!(
                            "$schema `{s}` is not supported; use draft 2020-12 ({DRAFT_2020_12}) or draft 7 ({DRAFT_7}#)"
                        )));
                    }
                }
                Some(other) => {
                    return Err(ConfigError::Schema(format!(
                        "$schema must be a string, found {other}"
                    )))
                }
            },
            other => {
                return Err(ConfigError::Schema(format!(
                    "a schema is a JSON object or a boolean, found {other}"
                )))
            }
        };
        let validator = jsonschema::options()
            .with_draft(draft)
            .with_pattern_options(jsonschema::PatternOptions::regex())
            .build(schema)
            .map_err(|e| {
                let at = e.instance_path.as_str();
                if at.is_empty() {
                    ConfigError::Schema(e.to_string())
                } else {
                    ConfigError::Schema(format!("{at}: {e}"))
                }
            })?;
        Ok(ConfigSchema { validator })
    }

    /// Checks a configuration, listing every violation.
    pub fn validate(&self, config: &Value) -> Result<(), ConfigError> {
        let violations: Vec<Violation> = self
            .validator
            .iter_errors(config)
            .map(|e| Violation {
                pointer: e.instance_path.as_str().to_owned(),
                message: e.to_string(),
            })
            .collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid { violations })
        }
    }
}

/// Checks `config` against a plugin's configuration `schema`, listing every
/// violation with its JSON pointer
/// (`/thresholds/recency: -1 is less than the minimum of 0`).
pub fn validate_config(schema: &Value, config: &Value) -> Result<(), ConfigError> {
    ConfigSchema::compile(schema)?.validate(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_become_dotted_paths() {
        assert_eq!(dotted_path(""), "");
        assert_eq!(dotted_path("/plugin/kind"), "plugin.kind");
        assert_eq!(dotted_path("/inputs/fields/2"), "inputs.fields[2]");
        assert_eq!(dotted_path("/a~1b/c~0d"), "a/b.c~d");
    }

    #[test]
    fn offsets_become_lines_and_columns() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        assert_eq!(line_column(text, 9), (2, 3));
    }

    #[test]
    fn the_embedded_schema_compiles() {
        let _ = manifest_validator();
    }
}
