//! The sandboxed plugin host.
//!
//! A [`Host`] owns one wasmtime engine (fuel metering and epoch interruption
//! on, a bounded wasm call stack), a thread that advances the engine's epoch
//! every 10 ms, and the compiled-component caches: in memory per digest, and
//! on disk (see `cache.rs`: only artifacts whose HMAC tag verifies under the
//! host's key are ever deserialized). Components are compiled after `nan.rs`
//! has made every NaN they can observe canonical, so that results do not
//! depend on the machine; the compiler's pass that canonicalises after every
//! float operation, which cost float-heavy plugins a third of their time,
//! is off.
//!
//! [`Host::load`] refuses, before anything runs: bytes that are not a
//! component; a component that does not export the interface of the
//! requested kind; and a component that imports anything beyond the few
//! inert WASI functions every `std` Rust plugin links (see `wasi.rs`: the
//! standard streams, an empty environment, `exit`). No filesystem (not even
//! an empty list of preopened directories), network, clock, randomness or
//! environment is granted; a plugin gets its "as of" instant and its random
//! seed as data.
//!
//! Every call ([`Plugin::fit`], [`Plugin::score`]) runs in a fresh store and
//! instance with its own budgets from [`Limits`]. Instances come from
//! wasmtime's pooling allocator: [`CALL_SLOTS`] calls run at once and a
//! further call waits for a slot; a slot's linear memory is reset in place
//! after a call (only the pages it dirtied, on Linux 6.7 and later), so the
//! next call starts on resident zeroed pages instead of faulting its heap in
//! page by page. The budgets:
//!
//! - fuel `limits.fuel_for(records)`;
//! - wall-clock time `limits.wall_ms`, checked at every epoch tick against
//!   the real clock, in every host function, and once more after the call;
//! - linear memory `limits.memory_mib` for all memories of the instance
//!   together (plus bounds on tables and instances);
//! - the wasm call stack ([`MAX_WASM_STACK`]);
//! - the size and shape of the output (see [`limits`]).
//!
//! A guest's `error` result is data ([`Call::value`]); everything else the
//! guest does wrong is a [`CallError`] that names the budget or check. After
//! any failure the same [`Plugin`] can be called again: nothing survives a
//! call.

mod cache;
mod checks;
mod nan;
mod v0_1;
mod v0_2;
mod wasi;
pub mod wit;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, ResourceLimiter, Store, Trap, UpdateDeadline};

use crate::{Limits, PluginKind, WitVersion};

/// The output limits applied to every call.
pub mod limits {
    pub use super::checks::{
        output_budget, MAX_CONTRIBUTIONS, MAX_CONTRIBUTION_LABEL_BYTES, MAX_DIAGNOSTICS,
        MAX_DIAGNOSTIC_BYTES, MAX_LABEL_BYTES, MAX_VALUES, MAX_VALUE_NAME_BYTES, OUTPUT_BASE_BYTES,
        OUTPUT_BYTES_PER_RECORD,
    };
    pub use super::wasi::CAPTURE_BYTES;
    /// Longest `code` of a plugin error, in bytes.
    pub const MAX_ERROR_CODE_BYTES: usize = 64;
    /// Longest `message` of a plugin error, in bytes.
    pub const MAX_ERROR_MESSAGE_BYTES: usize = 1024;
}

/// The wasm call stack a call may use, in bytes.
pub const MAX_WASM_STACK: usize = 512 * 1024;
/// How often the engine's epoch advances.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Most table elements per table (Rust plugins use a few hundred).
const MAX_TABLE_ELEMENTS: usize = 100_000;
const MAX_INSTANCES: usize = 64;
const MAX_TABLES: usize = 64;
const MAX_MEMORIES: usize = 4;
const MIB: u64 = 1024 * 1024;
/// Calls one host runs at once; a further call waits for a slot (before its
/// clock starts). Each slot reserves address space for the largest call
/// (`MAX_MEMORIES` memories of up to 4 GiB), not memory.
pub const CALL_SLOTS: usize = 16;
/// Bytes of each memory slot that stay mapped between calls. On Linux 6.7
/// and later only the pages a call dirtied are reset (found with the
/// `PAGEMAP_SCAN` ioctl), so the next call in the slot takes no page faults
/// on them; elsewhere up to this much is zeroed with `memset`.
const KEEP_RESIDENT: usize = 64 << 20;

/// How a host is set up.
#[derive(Clone)]
pub struct HostOptions {
    /// Where compiled components are kept between runs; `None` compiles
    /// every component once per process.
    pub cache_dir: Option<PathBuf>,
    /// The secret key that authenticates cache files. Keep it out of the
    /// cache directory: whoever holds it can make the host run native code.
    pub cache_key: [u8; 32],
}

impl fmt::Debug for HostOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostOptions")
            .field("cache_dir", &self.cache_dir)
            .field("cache_key", &"<redacted>")
            .finish()
    }
}

/// Counters of how components were obtained.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostStats {
    /// Components compiled from their bytes.
    pub compiled: u64,
    /// Components loaded from a verified cache file.
    pub cache_hits: u64,
    /// Loads answered from memory (same digest and kind loaded before).
    pub memory_hits: u64,
    /// Cache files refused (tag did not verify, corrupt, unusable) and
    /// replaced by a fresh compilation.
    pub cache_rejected: u64,
}

/// The plugin host. Cheap to clone; clones share the engine and caches.
#[derive(Clone)]
pub struct Host {
    inner: Arc<HostInner>,
}

struct HostInner {
    engine: Engine,
    linker: Linker<CallState>,
    cache: Option<cache::DiskCache>,
    components: Mutex<HashMap<String, Component>>,
    plugins: Mutex<HashMap<(String, PluginKind), Plugin>>,
    slots: Arc<Slots>,
    compiled: AtomicU64,
    cache_hits: AtomicU64,
    memory_hits: AtomicU64,
    cache_rejected: AtomicU64,
}

impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Why a component was not loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("not a WebAssembly component: {0}")]
    NotAComponent(String),
    #[error(
        "component is not a {expected} plugin: it does not export {}{}",
        expected.interface_in(*wit),
        found_kinds(found)
    )]
    WrongKind {
        expected: PluginKind,
        /// The kinds whose interface the component does export.
        found: Vec<PluginKind>,
        /// The contract version the component targets (the current one if
        /// it exports no plugin interface at all).
        wit: WitVersion,
    },
    #[error(
        "component imports {import}, which plugins are not granted{}",
        also_forbidden(also)
    )]
    ForbiddenImport {
        /// The most telling forbidden import.
        import: String,
        /// Any further forbidden imports.
        also: Vec<String>,
    },
    #[error("component's {interface} does not match this host's contract ({wit}): {reason}")]
    Interface {
        interface: String,
        wit: WitVersion,
        reason: String,
    },
    #[error("component cannot be linked: {0}")]
    Link(String),
    #[error("component does not compile: {0}")]
    Compile(String),
    #[error("compiled-component cache: {0}")]
    Cache(String),
    #[error("plugin engine cannot start: {0}")]
    Engine(String),
}

fn found_kinds(found: &[PluginKind]) -> String {
    match found {
        [] => String::from(" (it exports no plugin interface)"),
        kinds => format!(
            " (it is a {} plugin)",
            kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
    }
}

fn also_forbidden(also: &[String]) -> String {
    if also.is_empty() {
        String::new()
    } else {
        format!(" (nor {})", also.join(", "))
    }
}

fn chain(e: &wasmtime::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

impl Host {
    /// Starts a host: the engine, its epoch ticker and, if a directory is
    /// given, the on-disk cache (created if missing).
    pub fn new(options: HostOptions) -> Result<Host, LoadError> {
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .consume_fuel(metered())
            .epoch_interruption(metered())
            .max_wasm_stack(MAX_WASM_STACK)
            .cranelift_nan_canonicalization(false)
            .relaxed_simd_deterministic(true);
        // `perf` can name the functions of compiled plugins when asked to
        // (see BENCHMARKS.md, "Where the time went under `rapport:plugin@0.1.0`").
        if std::env::var_os("RAPPORT_PLUGIN_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool()));
        let engine = Engine::new(&config).map_err(|e| LoadError::Engine(chain(&e)))?;
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker).map_err(|e| LoadError::Engine(chain(&e)))?;
        let cache = options
            .cache_dir
            .map(|dir| cache::DiskCache::new(dir, options.cache_key, &engine))
            .transpose()
            .map_err(LoadError::Cache)?;

        // The ticker lives as long as the engine: plugins keep the engine
        // alive after the host is dropped, and still need their deadlines.
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("rapport-plugin-epoch".into())
            .spawn(move || loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            })
            .map_err(|e| LoadError::Engine(format!("cannot start the epoch ticker: {e}")))?;

        Ok(Host {
            inner: Arc::new(HostInner {
                engine,
                linker,
                cache,
                components: Mutex::default(),
                plugins: Mutex::default(),
                slots: Arc::new(Slots::new(CALL_SLOTS)),
                compiled: AtomicU64::new(0),
                cache_hits: AtomicU64::new(0),
                memory_hits: AtomicU64::new(0),
                cache_rejected: AtomicU64::new(0),
            }),
        })
    }

    /// How components were obtained so far.
    pub fn stats(&self) -> HostStats {
        let i = &self.inner;
        HostStats {
            compiled: i.compiled.load(Ordering::Relaxed),
            cache_hits: i.cache_hits.load(Ordering::Relaxed),
            memory_hits: i.memory_hits.load(Ordering::Relaxed),
            cache_rejected: i.cache_rejected.load(Ordering::Relaxed),
        }
    }

    /// Checks and compiles (or loads from cache) a component for a kind.
    pub fn load(&self, kind: PluginKind, component: &[u8]) -> Result<Plugin, LoadError> {
        check_header(component)?;
        let digest = hex::encode(Sha256::digest(component));
        let key = (digest.clone(), kind);
        if let Some(p) = lock(&self.inner.plugins).get(&key) {
            self.inner.memory_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(p.clone());
        }
        let (compiled, fresh) = self.component(&digest, component)?;
        let engine = &self.inner.engine;

        // Which contract version and kind the component exports: the
        // current version wins if a component exports both.
        let exports = |k: PluginKind, v: WitVersion| {
            compiled
                .component_type()
                .get_export(engine, k.interface_in(v))
                .is_some()
        };
        let Some(wit) = WitVersion::ALL.into_iter().find(|&v| exports(kind, v)) else {
            let targeted = WitVersion::ALL
                .into_iter()
                .find(|&v| PluginKind::ALL.into_iter().any(|k| exports(k, v)))
                .unwrap_or(WitVersion::CURRENT);
            return Err(LoadError::WrongKind {
                expected: kind,
                found: PluginKind::ALL
                    .into_iter()
                    .filter(|&k| exports(k, targeted))
                    .collect(),
                wit: targeted,
            });
        };
        let mut forbidden = wasi::forbidden_imports(engine, &compiled).into_iter();
        if let Some(import) = forbidden.next() {
            return Err(LoadError::ForbiddenImport {
                import,
                also: forbidden.collect(),
            });
        }
        let pre = self
            .inner
            .linker
            .instantiate_pre(&compiled)
            .map_err(|e| LoadError::Link(chain(&e)))?;
        let interface = |e: wasmtime::Error| LoadError::Interface {
            interface: kind.interface_in(wit).to_owned(),
            wit,
            reason: chain(&e),
        };
        let pre = match (wit, kind) {
            (WitVersion::V0_1, PluginKind::Scorer) => {
                Pre::V1Scorer(v0_1::ScorerPre::new(pre).map_err(interface)?)
            }
            (WitVersion::V0_1, PluginKind::Segmenter) => {
                Pre::V1Segmenter(v0_1::SegmenterPre::new(pre).map_err(interface)?)
            }
            (WitVersion::V0_1, PluginKind::SupplierRater) => {
                Pre::V1SupplierRater(v0_1::SupplierRaterPre::new(pre).map_err(interface)?)
            }
            (WitVersion::V0_2, PluginKind::Scorer) => {
                Pre::V2Scorer(v0_2::ScorerPre::new(pre).map_err(interface)?)
            }
            (WitVersion::V0_2, PluginKind::Segmenter) => {
                Pre::V2Segmenter(v0_2::SegmenterPre::new(pre).map_err(interface)?)
            }
            (WitVersion::V0_2, PluginKind::SupplierRater) => {
                Pre::V2SupplierRater(v0_2::SupplierRaterPre::new(pre).map_err(interface)?)
            }
        };
        if fresh {
            if let Some(cache) = &self.inner.cache {
                cache.store(&digest, &compiled).map_err(LoadError::Cache)?;
            }
        }
        let plugin = Plugin {
            inner: Arc::new(PluginInner {
                digest,
                kind,
                wit,
                engine: engine.clone(),
                slots: self.inner.slots.clone(),
                pre,
            }),
        };
        lock(&self.inner.plugins).insert(key, plugin.clone());
        Ok(plugin)
    }

    /// The compiled component for a digest, and whether it was compiled
    /// just now (and so is not on disk yet).
    fn component(&self, digest: &str, bytes: &[u8]) -> Result<(Component, bool), LoadError> {
        if let Some(c) = lock(&self.inner.components).get(digest) {
            return Ok((c.clone(), false));
        }
        let engine = &self.inner.engine;
        let mut fresh = true;
        let found = match &self.inner.cache {
            Some(cache) => match cache.lookup(engine, digest) {
                cache::Lookup::Hit(c) => {
                    self.inner.cache_hits.fetch_add(1, Ordering::Relaxed);
                    fresh = false;
                    Some(c)
                }
                cache::Lookup::Miss => None,
                cache::Lookup::Rejected(why) => {
                    self.inner.cache_rejected.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(digest, "compiled-component cache file refused: {why}");
                    None
                }
            },
            None => None,
        };
        let component = match found {
            Some(c) => c,
            None => {
                // NaNs are made canonical where their bits can be seen
                // (`nan.rs`), so the compiler need not do it everywhere.
                let guarded = nan::guard_component(bytes).map_err(LoadError::Compile)?;
                let c =
                    Component::new(engine, &guarded).map_err(|e| LoadError::Compile(chain(&e)))?;
                self.inner.compiled.fetch_add(1, Ordering::Relaxed);
                c
            }
        };
        lock(&self.inner.components).insert(digest.to_owned(), component.clone());
        Ok((component, fresh))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn check_header(bytes: &[u8]) -> Result<(), LoadError> {
    const MAGIC: &[u8] = b"\0asm";
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(LoadError::NotAComponent(String::from(
            "the bytes are not WebAssembly (no `\\0asm` header)",
        )));
    }
    match bytes[6..8] {
        [1, 0] => Ok(()),
        [0, 0] => Err(LoadError::NotAComponent(String::from(
            "it is a core WebAssembly module; build plugins for the `wasm32-wasip2` target",
        ))),
        _ => Err(LoadError::NotAComponent(format!(
            "unknown WebAssembly layer {}",
            u16::from_le_bytes([bytes[6], bytes[7]])
        ))),
    }
}

/// A component ready to instantiate, by contract version and kind.
enum Pre {
    V1Scorer(v0_1::ScorerPre<CallState>),
    V1Segmenter(v0_1::SegmenterPre<CallState>),
    V1SupplierRater(v0_1::SupplierRaterPre<CallState>),
    V2Scorer(v0_2::ScorerPre<CallState>),
    V2Segmenter(v0_2::SegmenterPre<CallState>),
    V2SupplierRater(v0_2::SupplierRaterPre<CallState>),
}

/// A loaded plugin. Cheap to clone; every call gets a fresh instance.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<PluginInner>,
}

struct PluginInner {
    digest: String,
    kind: PluginKind,
    wit: WitVersion,
    engine: Engine,
    slots: Arc<Slots>,
    pre: Pre,
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("kind", &self.inner.kind)
            .field("wit", &self.inner.wit)
            .field("digest", &self.inner.digest)
            .finish()
    }
}

/// The records of a call.
#[derive(Debug, Clone, Copy)]
pub enum Population<'a> {
    Customers(&'a [wit::Customer]),
    Suppliers(&'a [wit::Supplier]),
    /// Customers `start..end` of a population laid out once for all the
    /// calls on it (see [`Prepared`]).
    Prepared {
        of: &'a Prepared<'a>,
        start: usize,
        end: usize,
    },
}

/// Customers laid out once for every call on them: a fit on all of them,
/// then score calls on ranges of them. A component built for
/// `rapport:plugin@0.2.0` gets its batches as columns; laying the records
/// out is then done once, on the first call, and a batch's columns are
/// copied from the population's (see `v0_2::customers_part`), the same
/// columns, bit for bit, as laying out the batch's own records would give.
/// Other components get the records, as with [`Population::Customers`].
pub struct Prepared<'a> {
    records: &'a [wit::Customer],
    columns: std::sync::OnceLock<Box<v0_2::Columns>>,
}

impl fmt::Debug for Prepared<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prepared")
            .field("customers", &self.records.len())
            .field("laid_out", &self.columns.get().is_some())
            .finish()
    }
}

impl<'a> Prepared<'a> {
    pub fn new(records: &'a [wit::Customer]) -> Self {
        Prepared {
            records,
            columns: std::sync::OnceLock::new(),
        }
    }

    /// Every customer.
    pub fn all(&self) -> Population<'_> {
        self.range(0..self.records.len())
    }

    /// Customers `range` (panics when it is out of bounds, as slicing does).
    pub fn range(&self, range: std::ops::Range<usize>) -> Population<'_> {
        let _ = &self.records[range.clone()];
        Population::Prepared {
            of: self,
            start: range.start,
            end: range.end,
        }
    }

    fn columns(&self) -> &v0_2::Columns {
        self.columns
            .get_or_init(|| Box::new(v0_2::Columns(v0_2::customers(self.records))))
    }
}

impl Population<'_> {
    pub fn len(&self) -> usize {
        match self {
            Self::Customers(c) => c.len(),
            Self::Suppliers(s) => s.len(),
            Self::Prepared { start, end, .. } => end - start,
        }
    }

    /// The customer records, if these are customers.
    fn customer_records(&self) -> Option<&[wit::Customer]> {
        match *self {
            Self::Customers(c) => Some(c),
            Self::Prepared { of, start, end } => Some(&of.records[start..end]),
            Self::Suppliers(_) => None,
        }
    }

    /// These customers (`records`, from [`Self::customer_records`]) in the
    /// columns of `rapport:plugin@0.2.0`: copied from a prepared
    /// population's (borrowed when they are all of it), or laid out from
    /// the records.
    fn customer_columns<'r>(&'r self, records: &[wit::Customer]) -> Cow<'r, v0_2::Columns> {
        match *self {
            Self::Prepared { of, start, end } => {
                let all = of.columns();
                if start == 0 && end == of.records.len() {
                    Cow::Borrowed(all)
                } else {
                    Cow::Owned(v0_2::Columns(v0_2::customers_part(all, start, end)))
                }
            }
            _ => Cow::Owned(v0_2::Columns(v0_2::customers(records))),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn subjects(&self) -> Vec<u64> {
        match (self, self.customer_records()) {
            (Self::Suppliers(s), _) => s.iter().map(|s| s.subject).collect(),
            (_, c) => c.unwrap_or_default().iter().map(|c| c.subject).collect(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Customers(_) | Self::Prepared { .. } => "customers",
            Self::Suppliers(_) => "suppliers",
        }
    }
}

/// A completed call: the plugin's answer, which may be its own refusal.
#[derive(Debug, Clone)]
pub struct Call<T> {
    pub value: Result<T, wit::PluginError>,
    pub stats: CallStats,
}

/// What a call used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallStats {
    pub fuel_used: u64,
    /// Largest total linear memory of the instance, in bytes.
    pub peak_memory_bytes: u64,
    /// The whole call, instantiation included.
    pub duration: Duration,
    /// Of which creating the store and the instance.
    pub instantiate: Duration,
    /// What the plugin wrote to standard error and output, at most
    /// [`limits::CAPTURE_BYTES`] (head and tail) plus a note of what was
    /// left out.
    pub stderr: String,
}

/// A budget a call can run out of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    Fuel,
    Memory,
    /// The wall-clock limit (epoch deadline and clock checks).
    Time,
    /// The wasm call stack.
    Stack,
    /// The size of the output.
    Output,
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fuel => "fuel",
            Self::Memory => "memory",
            Self::Time => "time",
            Self::Stack => "stack",
            Self::Output => "output",
        })
    }
}

/// Why a call produced no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("{}", budget_message(*budget, limit))]
    Budget {
        budget: Budget,
        limit: String,
        stats: CallStats,
    },
    #[error("plugin trapped: {message}")]
    Trap { message: String, stats: CallStats },
    #[error("plugin output refused: {reason}")]
    InvalidOutput { reason: String, stats: CallStats },
    #[error("plugin host failed: {0}")]
    Host(String),
}

fn budget_message(budget: Budget, limit: &str) -> String {
    match budget {
        Budget::Fuel => format!("plugin stopped: fuel budget of {limit} exhausted"),
        Budget::Memory => format!("plugin stopped: memory limit of {limit} reached"),
        Budget::Time => format!("plugin stopped: time limit of {limit} reached"),
        Budget::Stack => String::from("plugin stopped: call stack exhausted (deep recursion)"),
        Budget::Output => format!("plugin output refused: output budget of {limit} exceeded"),
    }
}

impl CallError {
    /// What the call used before it failed (none for a host failure).
    pub fn stats(&self) -> Option<&CallStats> {
        match self {
            Self::Budget { stats, .. }
            | Self::Trap { stats, .. }
            | Self::InvalidOutput { stats, .. } => Some(stats),
            Self::Host(_) => None,
        }
    }

    /// The budget that ran out, if that is why the call failed.
    pub fn budget(&self) -> Option<Budget> {
        match self {
            Self::Budget { budget, .. } => Some(*budget),
            _ => None,
        }
    }
}

/// Per-call store data.
pub(crate) struct CallState {
    deadline: Instant,
    timed_out: bool,
    memory: MemoryLimiter,
    capture: wasi::Capture,
}

/// The deadline passed.
#[derive(Debug)]
struct TimeUp;
impl fmt::Display for TimeUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("time limit reached")
    }
}
impl std::error::Error for TimeUp {}

/// A memory grew past the limit.
#[derive(Debug)]
struct MemoryFull;
impl fmt::Display for MemoryFull {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("memory limit reached")
    }
}
impl std::error::Error for MemoryFull {}

impl CallState {
    fn check_deadline(&self) -> wasmtime::Result<()> {
        if Instant::now() >= self.deadline {
            Err(wasmtime::Error::new(TimeUp))
        } else {
            Ok(())
        }
    }
}

struct MemoryLimiter {
    limit: u64,
    total: u64,
    peak: u64,
    last_growth: u64,
    hit: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let growth = desired.saturating_sub(current) as u64;
        let total = self.total.saturating_add(growth);
        if total > self.limit {
            self.hit = true;
            return Err(wasmtime::Error::new(MemoryFull));
        }
        self.total = total;
        self.last_growth = growth;
        self.peak = self.peak.max(total);
        Ok(true)
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.total = self.total.saturating_sub(self.last_growth);
        Ok(())
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

enum Op<'a> {
    Fit,
    Score(&'a [u8]),
}

enum Answer {
    Model(wit::Model),
    Scored(Box<wit::Scored>),
}

impl Plugin {
    /// Lowercase hex SHA-256 of the component bytes.
    pub fn digest(&self) -> &str {
        &self.inner.digest
    }

    pub fn kind(&self) -> PluginKind {
        self.inner.kind
    }

    /// The contract version the component was built for.
    pub fn wit(&self) -> WitVersion {
        self.inner.wit
    }

    /// Fits a model on the whole population.
    pub fn fit(
        &self,
        ctx: &wit::Context,
        population: Population<'_>,
        limits: &Limits,
    ) -> Result<Call<wit::Model>, CallError> {
        let call = self.call(ctx, Op::Fit, population, limits)?;
        let stats = call.stats;
        let value = match call.value {
            Ok(Answer::Model(m)) => {
                if let Err(refusal) = checks::check_diagnostics(&m.diagnostics) {
                    return Err(refused(refusal, stats));
                }
                Ok(m)
            }
            Ok(Answer::Scored(_)) => {
                return Err(CallError::Host(String::from("fit answered with scores")))
            }
            Err(e) => Err(e),
        };
        Ok(Call { value, stats })
    }

    /// Scores a batch with a model `fit` returned.
    pub fn score(
        &self,
        ctx: &wit::Context,
        model: &[u8],
        batch: Population<'_>,
        limits: &Limits,
    ) -> Result<Call<wit::Scored>, CallError> {
        let call = self.call(ctx, Op::Score(model), batch, limits)?;
        let stats = call.stats;
        let value = match call.value {
            Ok(Answer::Scored(mut s)) => {
                if let Err(refusal) = checks::check_scored(&mut s, &batch.subjects()) {
                    return Err(refused(refusal, stats));
                }
                Ok(*s)
            }
            Ok(Answer::Model(_)) => {
                return Err(CallError::Host(String::from("score answered with a model")))
            }
            Err(e) => Err(e),
        };
        Ok(Call { value, stats })
    }

    fn call(
        &self,
        ctx: &wit::Context,
        op: Op<'_>,
        population: Population<'_>,
        limits: &Limits,
    ) -> Result<Call<Answer>, CallError> {
        let kind = self.inner.kind;
        let expected = match kind.subject() {
            crate::fields::Subject::Customer => "customers",
            crate::fields::Subject::Supplier => "suppliers",
        };
        if population.name() != expected {
            return Err(CallError::Host(format!(
                "a {kind} plugin takes {expected}, not {}",
                population.name()
            )));
        }
        let records = population.len();
        let fuel = limits.fuel_for(records);
        // Held until the store is dropped: at most `CALL_SLOTS` instances
        // exist at once, so the pool is never exhausted.
        let _slot = self.inner.slots.take();
        let start = Instant::now();
        let wall = Duration::from_millis(limits.wall_ms);
        let mut store = Store::new(
            &self.inner.engine,
            CallState {
                deadline: start + wall,
                timed_out: false,
                memory: MemoryLimiter {
                    limit: limits.memory_mib.saturating_mul(MIB),
                    total: 0,
                    peak: 0,
                    last_growth: 0,
                    hit: false,
                },
                capture: wasi::Capture::default(),
            },
        );
        store.limiter(|s| &mut s.memory);
        if metered() {
            store
                .set_fuel(fuel)
                .map_err(|e| CallError::Host(chain(&e)))?;
            store.set_epoch_deadline(1);
            store.epoch_deadline_callback(|mut cx| {
                if Instant::now() >= cx.data().deadline {
                    cx.data_mut().timed_out = true;
                    Err(wasmtime::Error::new(TimeUp))
                } else {
                    Ok(UpdateDeadline::Continue(1))
                }
            });
        }

        let store_made = start.elapsed();
        let mut instantiate = Duration::ZERO;
        let result = (|| -> wasmtime::Result<Result<Answer, wit::PluginError>> {
            // Each arm translates the batch into the component's version of
            // the contract (before instantiating, so that the time is not
            // counted as instantiation), calls it and translates the answer
            // back.
            macro_rules! run {
                ($v:ident, $pre:expr, $iface:ident, $batch:expr) => {{
                    let ctx = $v::context(ctx);
                    let batch = $batch;
                    let t = Instant::now();
                    let bindings = $pre.instantiate(&mut store)?;
                    instantiate = store_made + t.elapsed();
                    let iface = bindings.$iface();
                    match op {
                        Op::Fit => Ok(iface
                            .call_fit(&mut store, &ctx, &batch)?
                            .map(|m| Answer::Model($v::model(m)))
                            .map_err($v::error)),
                        Op::Score(model) => Ok(iface
                            .call_score(&mut store, &ctx, model, &batch)?
                            .map(|s| Answer::Scored(Box::new($v::scored(s))))
                            .map_err($v::error)),
                    }
                }};
            }
            match (&self.inner.pre, population.customer_records(), population) {
                (Pre::V1Scorer(pre), Some(c), _) => {
                    run!(v0_1, pre, rapport_plugin_scoring, v0_1::customers(c))
                }
                (Pre::V1Segmenter(pre), Some(c), _) => {
                    run!(v0_1, pre, rapport_plugin_segmentation, v0_1::customers(c))
                }
                (Pre::V1SupplierRater(pre), _, Population::Suppliers(s)) => {
                    run!(
                        v0_1,
                        pre,
                        rapport_plugin_supplier_rating,
                        v0_1::suppliers(s)
                    )
                }
                (Pre::V2Scorer(pre), Some(c), _) => run!(
                    v0_2,
                    pre,
                    rapport_plugin_scoring,
                    population.customer_columns(c)
                ),
                (Pre::V2Segmenter(pre), Some(c), _) => run!(
                    v0_2,
                    pre,
                    rapport_plugin_segmentation,
                    population.customer_columns(c)
                ),
                (Pre::V2SupplierRater(pre), _, Population::Suppliers(s)) => {
                    run!(
                        v0_2,
                        pre,
                        rapport_plugin_supplier_rating,
                        v0_2::suppliers(s)
                    )
                }
                _ => Err(wasmtime::Error::msg(
                    "population does not match the plugin kind",
                )),
            }
        })();

        let remaining = store.get_fuel().unwrap_or(0);
        let state = store.data();
        let stats = CallStats {
            fuel_used: fuel.saturating_sub(remaining),
            peak_memory_bytes: state.memory.peak,
            duration: start.elapsed(),
            instantiate,
            stderr: state.capture.text(),
        };
        let timed_out = state.timed_out;
        let memory_hit = state.memory.hit;
        drop(store);

        let budget = |budget: Budget, limit: String, stats: CallStats| CallError::Budget {
            budget,
            limit,
            stats,
        };
        let time_limit = format!("{} ms", limits.wall_ms);
        match result {
            Ok(value) => {
                if stats.duration > wall {
                    return Err(budget(Budget::Time, time_limit, stats));
                }
                if let Err(e) = &value {
                    if let Err(reason) = checks::check_text("the plugin error", &e.code)
                        .and_then(|()| checks::check_text("the plugin error", &e.message))
                    {
                        return Err(CallError::InvalidOutput { reason, stats });
                    }
                    if e.code.len() > limits::MAX_ERROR_CODE_BYTES
                        || e.message.len() > limits::MAX_ERROR_MESSAGE_BYTES
                    {
                        return Err(CallError::InvalidOutput {
                            reason: format!(
                                "a plugin error with a code of {} bytes and a message of {} bytes (at most {} and {})",
                                e.code.len(),
                                e.message.len(),
                                limits::MAX_ERROR_CODE_BYTES,
                                limits::MAX_ERROR_MESSAGE_BYTES
                            ),
                            stats,
                        });
                    }
                }
                Ok(Call { value, stats })
            }
            Err(e) => {
                let trap = e.downcast_ref::<Trap>().copied();
                Err(
                    if timed_out || e.is::<TimeUp>() || trap == Some(Trap::Interrupt) {
                        budget(Budget::Time, time_limit, stats)
                    } else if trap == Some(Trap::OutOfFuel) {
                        budget(Budget::Fuel, fuel.to_string(), stats)
                    } else if memory_hit || e.is::<MemoryFull>() {
                        budget(Budget::Memory, format!("{} MiB", limits.memory_mib), stats)
                    } else if trap == Some(Trap::StackOverflow) {
                        budget(
                            Budget::Stack,
                            format!("{} KiB", MAX_WASM_STACK / 1024),
                            stats,
                        )
                    } else {
                        let cause = match (e.downcast_ref::<wasi::GuestExit>(), trap) {
                            (Some(exit), _) => exit.to_string(),
                            (None, Some(trap)) => trap.to_string(),
                            (None, None) => chain(&e),
                        };
                        let message = match panic_message(&stats.stderr) {
                            Some(panic) => format!("{panic} ({cause})"),
                            None => cause,
                        };
                        CallError::Trap { message, stats }
                    },
                )
            }
        }
    }
}

/// Whether plugins run under fuel metering and epoch deadlines: always,
/// except in a build with the `unmetered-bench` feature (benchmarks only,
/// never part of a shipped build) run with `RAPPORT_BENCH_UNMETERED` set,
/// which measures what the two meters cost. The memory and output limits
/// apply either way; the wall clock is then checked only in host functions
/// and after the call.
fn metered() -> bool {
    static METERED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *METERED.get_or_init(|| {
        let off = cfg!(feature = "unmetered-bench")
            && std::env::var_os("RAPPORT_BENCH_UNMETERED").is_some();
        if off {
            eprintln!("rapport-plugin: fuel metering and epoch deadlines are off (unmetered-bench build, RAPPORT_BENCH_UNMETERED set)");
        }
        !off
    })
}

/// The instance pool every call draws from: `CALL_SLOTS` calls' worth of
/// instances, memories and tables, each call within the limits the store's
/// limiter enforces anyway. Slots are reused, and the memory a call dirtied
/// is reset in place rather than unmapped, so a fresh instance starts on
/// resident pages instead of faulting its heap in page by page.
fn pool() -> wasmtime::PoolingAllocationConfig {
    let slots = CALL_SLOTS as u32;
    let mut p = wasmtime::PoolingAllocationConfig::new();
    p.total_component_instances(slots)
        .total_core_instances(slots * MAX_INSTANCES as u32)
        .max_core_instances_per_component(MAX_INSTANCES as u32)
        .total_memories(slots * MAX_MEMORIES as u32)
        .max_memories_per_component(MAX_MEMORIES as u32)
        .max_memories_per_module(MAX_MEMORIES as u32)
        .max_memory_size((crate::manifest::MAX_MEMORY_MIB * MIB) as usize)
        .total_tables(slots * MAX_TABLES as u32)
        .max_tables_per_component(MAX_TABLES as u32)
        .max_tables_per_module(MAX_TABLES as u32)
        .table_elements(MAX_TABLE_ELEMENTS)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(1 << 20)
        .pagemap_scan(wasmtime::Enabled::Auto);
    p
}

/// A counting semaphore over the pool's call slots.
struct Slots {
    free: Mutex<usize>,
    freed: std::sync::Condvar,
}

struct Slot<'a>(&'a Slots);

impl Slots {
    fn new(n: usize) -> Slots {
        Slots {
            free: Mutex::new(n),
            freed: std::sync::Condvar::new(),
        }
    }

    fn take(&self) -> Slot<'_> {
        let mut free = lock(&self.free);
        while *free == 0 {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *lock(&self.0.free) += 1;
        self.0.freed.notify_one();
    }
}

fn refused(refusal: checks::Refusal, stats: CallStats) -> CallError {
    match refusal {
        checks::Refusal::TooLarge(budget) => CallError::Budget {
            budget: Budget::Output,
            limit: format!("{budget} bytes"),
            stats,
        },
        checks::Refusal::Invalid(reason) => CallError::InvalidOutput { reason, stats },
    }
}

/// The message of a Rust panic written to standard error, on one line.
fn panic_message(stderr: &str) -> Option<String> {
    let at = stderr.find("panicked at ")?;
    let text: Vec<&str> = stderr[at..]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
        .collect();
    let joined = text.join(" ");
    const MAX: usize = 600;
    Some(if joined.len() > MAX {
        let mut end = MAX;
        while !joined.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &joined[..end])
    } else {
        joined
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_plugins_can_be_shared_between_threads() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<Host>();
        shareable::<Plugin>();
    }

    #[test]
    fn headers_are_checked() {
        let err = check_header(b"hello world").unwrap_err();
        assert!(err.to_string().contains("not WebAssembly"), "{err}");
        let err = check_header(b"\0asm\x01\0\0\0").unwrap_err();
        assert!(err.to_string().contains("core WebAssembly module"), "{err}");
        assert!(check_header(b"\0asm\x0d\0\x01\0").is_ok());
    }

    #[test]
    fn panic_messages_are_one_line() {
        let stderr = "\nthread '<unnamed>' panicked at src/lib.rs:20:9:\ngave up on 3\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";
        assert_eq!(
            panic_message(stderr).as_deref(),
            Some("panicked at src/lib.rs:20:9: gave up on 3")
        );
        assert_eq!(panic_message("just noise"), None);
    }

    #[test]
    fn budget_messages_name_the_budget() {
        let stats = CallStats::default();
        let e = CallError::Budget {
            budget: Budget::Fuel,
            limit: "60000000".into(),
            stats: stats.clone(),
        };
        assert_eq!(
            e.to_string(),
            "plugin stopped: fuel budget of 60000000 exhausted"
        );
        let e = CallError::Budget {
            budget: Budget::Memory,
            limit: "64 MiB".into(),
            stats,
        };
        assert_eq!(
            e.to_string(),
            "plugin stopped: memory limit of 64 MiB reached"
        );
    }
}
