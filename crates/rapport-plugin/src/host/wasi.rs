//! The few WASI functions a plugin is granted, implemented by the host
//! itself, and the import check that refuses everything else.
//!
//! A plain `std` Rust library built for `wasm32-wasip2` imports the standard
//! streams (`wasi:cli/stdin`, `stdout`, `stderr` and the `terminal-*`
//! interfaces), `wasi:cli/environment`, `wasi:cli/exit` and the parts of
//! `wasi:io` those need, whether or not it ever prints. They are granted, and
//! inert:
//!
//! - standard error and standard output write into the call's bounded
//!   capture buffer ([`Capture`]), so a panic message reaches the caller;
//! - standard input is at its end; no stream is a terminal;
//! - the environment and the arguments are empty, there is no working
//!   directory;
//! - `exit` stops the call as a trap;
//! - pollables are always ready (nothing here ever waits).
//!
//! Nothing else is linked: no filesystem (not even an empty preopen list),
//! no sockets, clocks, randomness or HTTP. A component importing any other
//! function is refused at load, naming the interface. An imported interface
//! that carries only type definitions (no function, no resource) grants
//! nothing and is accepted.

use std::collections::VecDeque;
use std::fmt;

use wasmtime::component::types::ComponentItem;
use wasmtime::component::{
    Component, ComponentType, Lift, Linker, LinkerInstance, Lower, Resource, ResourceType,
};
use wasmtime::{Engine, StoreContextMut};

use super::CallState;

/// Bytes of standard error (and output) kept per call.
pub const CAPTURE_BYTES: usize = 8 * 1024;

/// The WASI version the definitions below are registered under. The linker
/// matches any `0.2.x` import against it.
const VERSION: &str = "0.2.0";

/// Functions granted, per interface (unversioned name).
const GRANTED: &[(&str, &[&str])] = &[
    ("wasi:io/error", &["[method]error.to-debug-string"]),
    (
        "wasi:io/poll",
        &["[method]pollable.ready", "[method]pollable.block", "poll"],
    ),
    (
        "wasi:io/streams",
        &[
            "[method]input-stream.read",
            "[method]input-stream.blocking-read",
            "[method]input-stream.skip",
            "[method]input-stream.blocking-skip",
            "[method]input-stream.subscribe",
            "[method]output-stream.check-write",
            "[method]output-stream.write",
            "[method]output-stream.blocking-write-and-flush",
            "[method]output-stream.flush",
            "[method]output-stream.blocking-flush",
            "[method]output-stream.subscribe",
        ],
    ),
    (
        "wasi:cli/environment",
        &["get-environment", "get-arguments", "initial-cwd"],
    ),
    ("wasi:cli/exit", &["exit"]),
    ("wasi:cli/stdin", &["get-stdin"]),
    ("wasi:cli/stdout", &["get-stdout"]),
    ("wasi:cli/stderr", &["get-stderr"]),
    ("wasi:cli/terminal-input", &[]),
    ("wasi:cli/terminal-output", &[]),
    ("wasi:cli/terminal-stdin", &["get-terminal-stdin"]),
    ("wasi:cli/terminal-stdout", &["get-terminal-stdout"]),
    ("wasi:cli/terminal-stderr", &["get-terminal-stderr"]),
];

/// Interfaces whose refusal is the most telling, named first when a
/// component imports several forbidden ones.
const MOST_TELLING: &[&str] = &[
    "wasi:sockets/tcp@",
    "wasi:sockets/udp@",
    "wasi:sockets/",
    "wasi:http/",
    "wasi:filesystem/types@",
    "wasi:filesystem/",
];

/// Checks every import of a component against the grant. Returns the
/// forbidden imports, the most telling first (empty: all granted).
pub fn forbidden_imports(engine: &Engine, component: &Component) -> Vec<String> {
    let mut forbidden = Vec::new();
    for (name, item) in component.component_type().imports(engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            // A bare function, module or component import is never granted.
            forbidden.push(name.to_owned());
            continue;
        };
        let unversioned = name.split('@').next().unwrap_or(name);
        let version_ok = name
            .split_once('@')
            .is_none_or(|(_, v)| v == "0.2" || v.starts_with("0.2."));
        let granted = GRANTED
            .iter()
            .find(|(iface, _)| *iface == unversioned && version_ok)
            .map(|(_, funcs)| *funcs);
        let mut capabilities = instance.exports(engine).filter(|(_, e)| {
            matches!(
                e.ty,
                ComponentItem::ComponentFunc(_)
                    | ComponentItem::Resource(_)
                    | ComponentItem::CoreFunc(_)
                    | ComponentItem::Module(_)
                    | ComponentItem::Component(_)
                    | ComponentItem::ComponentInstance(_)
            )
        });
        match granted {
            None => {
                if capabilities.next().is_some() {
                    forbidden.push(name.to_owned());
                }
            }
            Some(funcs) => {
                for (export, e) in capabilities {
                    let ok = match e.ty {
                        ComponentItem::Resource(_) => true,
                        ComponentItem::ComponentFunc(_) => funcs.contains(&export),
                        _ => false,
                    };
                    if !ok {
                        forbidden.push(format!("{name} function `{export}`"));
                    }
                }
            }
        }
    }
    forbidden.sort_by_key(|n| {
        MOST_TELLING
            .iter()
            .position(|p| n.starts_with(p))
            .unwrap_or(MOST_TELLING.len())
    });
    forbidden
}

/// Standard error and output of one call: the first and the last
/// [`CAPTURE_BYTES`]` / 2` bytes, and a count of what was left out between.
#[derive(Default)]
pub struct Capture {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    omitted: u64,
}

impl Capture {
    pub fn write(&mut self, mut bytes: &[u8]) {
        let half = CAPTURE_BYTES / 2;
        if self.head.len() < half {
            let n = bytes.len().min(half - self.head.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        if bytes.len() >= half {
            self.omitted += (self.tail.len() + bytes.len() - half) as u64;
            self.tail.clear();
            self.tail.extend(&bytes[bytes.len() - half..]);
            return;
        }
        let overflow = (self.tail.len() + bytes.len()).saturating_sub(half);
        self.tail.drain(..overflow);
        self.omitted += overflow as u64;
        self.tail.extend(bytes);
    }

    /// The captured text: invalid UTF-8 replaced, and control characters
    /// other than line breaks escaped, so that what a plugin printed cannot
    /// drive the terminal an error is shown on.
    pub fn text(&self) -> String {
        let mut out = inert(&String::from_utf8_lossy(&self.head));
        if self.omitted > 0 {
            out.push_str(&format!("\n[… {} bytes left out …]\n", self.omitted));
        }
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        out.push_str(&inert(&String::from_utf8_lossy(&tail)));
        out
    }
}

/// `text` with every control character but `\n` written as an escape.
fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod inert_tests {
    #[test]
    fn escapes_control_characters_but_keeps_line_breaks() {
        assert_eq!(super::inert("a\u{1b}[2Jb\nc\r"), "a\\u{1b}[2Jb\nc\\r");
    }
}

/// The guest called `wasi:cli/exit`.
#[derive(Debug)]
pub struct GuestExit {
    pub success: bool,
}

impl fmt::Display for GuestExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.success { "success" } else { "failure" };
        write!(f, "plugin called exit ({status})")
    }
}

impl std::error::Error for GuestExit {}

// Resource types. Their handles carry no state: the representation says
// which stream it is.
struct IoError;
struct Pollable;
struct InputStream;
struct OutputStream;
struct TerminalInput;
struct TerminalOutput;

const STDOUT: u32 = 1;
const STDERR: u32 = 2;

/// `wasi:io/streams.stream-error`.
#[derive(ComponentType, Lift, Lower)]
#[component(variant)]
enum StreamError {
    #[component(name = "last-operation-failed")]
    #[allow(
        dead_code,
        reason = "never constructed: the host's streams do not fail"
    )]
    LastOperationFailed(Resource<IoError>),
    #[component(name = "closed")]
    Closed,
}

type R<T> = wasmtime::Result<T>;

fn no_dtor<T>(_: StoreContextMut<'_, T>, _: u32) -> R<()> {
    Ok(())
}

fn versioned<'a, T>(linker: &'a mut Linker<T>, iface: &str) -> R<LinkerInstance<'a, T>> {
    linker.instance(&format!("{iface}@{VERSION}"))
}

fn write_stream(
    mut store: StoreContextMut<'_, CallState>,
    stream: &Resource<OutputStream>,
    bytes: &[u8],
) -> R<Result<(), StreamError>> {
    store.data().check_deadline()?;
    if matches!(stream.rep(), STDOUT | STDERR) {
        store.data_mut().capture.write(bytes);
    }
    Ok(Ok(()))
}

/// Defines the granted functions in `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> R<()> {
    {
        let mut i = versioned(linker, "wasi:io/error")?;
        i.resource("error", ResourceType::host::<IoError>(), no_dtor)?;
        i.func_wrap(
            "[method]error.to-debug-string",
            |_, (_,): (Resource<IoError>,)| Ok((String::new(),)),
        )?;
    }
    {
        let mut i = versioned(linker, "wasi:io/poll")?;
        i.resource("pollable", ResourceType::host::<Pollable>(), no_dtor)?;
        i.func_wrap(
            "[method]pollable.ready",
            |_, (_,): (Resource<Pollable>,)| Ok((true,)),
        )?;
        i.func_wrap(
            "[method]pollable.block",
            |store: StoreContextMut<'_, CallState>, (_,): (Resource<Pollable>,)| {
                store.data().check_deadline()
            },
        )?;
        i.func_wrap(
            "poll",
            |store: StoreContextMut<'_, CallState>, (all,): (Vec<Resource<Pollable>>,)| {
                store.data().check_deadline()?;
                let ready: Vec<u32> = (0..all.len() as u32).collect();
                Ok((ready,))
            },
        )?;
    }
    {
        let mut i = versioned(linker, "wasi:io/streams")?;
        i.resource("input-stream", ResourceType::host::<InputStream>(), no_dtor)?;
        i.resource(
            "output-stream",
            ResourceType::host::<OutputStream>(),
            no_dtor,
        )?;
        for name in [
            "[method]input-stream.read",
            "[method]input-stream.blocking-read",
        ] {
            i.func_wrap(name, |_, (_, _): (Resource<InputStream>, u64)| {
                Ok((Err::<Vec<u8>, _>(StreamError::Closed),))
            })?;
        }
        for name in [
            "[method]input-stream.skip",
            "[method]input-stream.blocking-skip",
        ] {
            i.func_wrap(name, |_, (_, _): (Resource<InputStream>, u64)| {
                Ok((Err::<u64, _>(StreamError::Closed),))
            })?;
        }
        i.func_wrap(
            "[method]input-stream.subscribe",
            |_, (_,): (Resource<InputStream>,)| Ok((Resource::<Pollable>::new_own(0),)),
        )?;
        i.func_wrap(
            "[method]output-stream.check-write",
            |_, (_,): (Resource<OutputStream>,)| Ok((Ok::<u64, StreamError>(4096),)),
        )?;
        for name in [
            "[method]output-stream.write",
            "[method]output-stream.blocking-write-and-flush",
        ] {
            i.func_wrap(
                name,
                |store: StoreContextMut<'_, CallState>,
                 (stream, bytes): (Resource<OutputStream>, Vec<u8>)| {
                    Ok((write_stream(store, &stream, &bytes)?,))
                },
            )?;
        }
        for name in [
            "[method]output-stream.flush",
            "[method]output-stream.blocking-flush",
        ] {
            i.func_wrap(name, |_, (_,): (Resource<OutputStream>,)| {
                Ok((Ok::<(), StreamError>(()),))
            })?;
        }
        i.func_wrap(
            "[method]output-stream.subscribe",
            |_, (_,): (Resource<OutputStream>,)| Ok((Resource::<Pollable>::new_own(0),)),
        )?;
    }
    {
        let mut i = versioned(linker, "wasi:cli/environment")?;
        i.func_wrap("get-environment", |_, (): ()| {
            Ok((Vec::<(String, String)>::new(),))
        })?;
        i.func_wrap("get-arguments", |_, (): ()| Ok((Vec::<String>::new(),)))?;
        i.func_wrap("initial-cwd", |_, (): ()| Ok((None::<String>,)))?;
    }
    {
        let mut i = versioned(linker, "wasi:cli/exit")?;
        i.func_wrap("exit", |_, (status,): (Result<(), ()>,)| -> R<()> {
            Err(wasmtime::Error::new(GuestExit {
                success: status.is_ok(),
            }))
        })?;
    }
    versioned(linker, "wasi:cli/stdin")?.func_wrap("get-stdin", |_, (): ()| {
        Ok((Resource::<InputStream>::new_own(0),))
    })?;
    versioned(linker, "wasi:cli/stdout")?.func_wrap("get-stdout", |_, (): ()| {
        Ok((Resource::<OutputStream>::new_own(STDOUT),))
    })?;
    versioned(linker, "wasi:cli/stderr")?.func_wrap("get-stderr", |_, (): ()| {
        Ok((Resource::<OutputStream>::new_own(STDERR),))
    })?;
    versioned(linker, "wasi:cli/terminal-input")?.resource(
        "terminal-input",
        ResourceType::host::<TerminalInput>(),
        no_dtor,
    )?;
    versioned(linker, "wasi:cli/terminal-output")?.resource(
        "terminal-output",
        ResourceType::host::<TerminalOutput>(),
        no_dtor,
    )?;
    versioned(linker, "wasi:cli/terminal-stdin")?
        .func_wrap("get-terminal-stdin", |_, (): ()| {
            Ok((None::<Resource<TerminalInput>>,))
        })?;
    for (iface, func) in [
        ("wasi:cli/terminal-stdout", "get-terminal-stdout"),
        ("wasi:cli/terminal-stderr", "get-terminal-stderr"),
    ] {
        versioned(linker, iface)?
            .func_wrap(func, |_, (): ()| Ok((None::<Resource<TerminalOutput>>,)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_head_and_tail() {
        let mut c = Capture::default();
        c.write(b"start ");
        let filler = vec![b'x'; CAPTURE_BYTES * 3];
        c.write(&filler);
        c.write(b" the end");
        let text = c.text();
        assert!(text.starts_with("start xxx"), "{}", &text[..20]);
        assert!(text.ends_with("xxx the end"));
        assert!(text.contains("bytes left out"));
        assert!(text.len() <= CAPTURE_BYTES + 64);
        let total = 6 + filler.len() + 8;
        assert_eq!(c.head.len() + c.tail.len() + c.omitted as usize, total);
    }

    #[test]
    fn capture_small_is_verbatim() {
        let mut c = Capture::default();
        c.write(b"hello ");
        c.write(b"world");
        assert_eq!(c.text(), "hello world");
    }
}
