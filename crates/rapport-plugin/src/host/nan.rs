//! Deterministic NaNs at the points where a NaN's bits can be seen.
//!
//! WebAssembly leaves the sign and payload of a NaN produced by arithmetic
//! unspecified, so the same component could compute different bits on
//! another processor. Outputs and models must not depend on the machine
//! (a run is replayed and compared by hash, possibly elsewhere), so every
//! NaN a plugin can *observe* must be the one canonical NaN
//! (`0x7ff8000000000000`, `0x7fc00000`).
//!
//! Canonicalising the result of every floating-point operation, as the
//! compiler can do, costs about a third of the time of float-heavy plugins
//! (`clv`). But a NaN's bits only matter where they leave the floating-point
//! domain; comparisons, conversions to integers and further arithmetic give
//! the same answer for every NaN. So this pass rewrites each core module of
//! a component to canonicalise a scalar float value exactly where its bits
//! become visible:
//!
//! - stored to linear memory (`f32.store`, `f64.store`);
//! - reinterpreted as an integer (`i32.reinterpret_f32`, `i64.reinterpret_f64`);
//! - lending its sign to another value (the sign operand of `copysign`);
//! - entering a vector, whose lanes can be read as integers (`splat`,
//!   `replace_lane`);
//! - written to a float global.
//!
//! Vector float arithmetic is canonicalised at every operation, since a
//! `v128` can be read as integers at any time. A module where floats can
//! leave by other ways (an import taking float arguments, an export
//! returning floats, exception tags or GC types) is canonicalised after
//! every scalar float operation instead, the same as the compiler's own
//! pass: slower, never wrong. Neither rewrite changes any result that is
//! not a NaN.
//!
//! The host compiles the rewritten component with the compiler's pass off;
//! the signed package and its digest are those of the original bytes.

use std::convert::Infallible;

use wasm_encoder::reencode::{self, Reencode, ReencodeComponent};
use wasm_encoder::{Ieee32, Ieee64};
use wasmparser::{
    CompositeInnerType, ExternalKind, FunctionBody, Operator, Parser, Payload, TypeRef, ValType,
};

/// Bumped whenever the rewrite changes, so that compiled artifacts of an
/// older rewrite are not reused.
pub(crate) const VERSION: &str = "nan-guard-1";

const CANONICAL_F32: u32 = 0x7fc0_0000;
const CANONICAL_F64: u64 = 0x7ff8_0000_0000_0000;

/// Rewrites every core module of a component (see the module
/// documentation).
pub(crate) fn guard_component(bytes: &[u8]) -> Result<Vec<u8>, String> {
    well_formed(bytes)?;
    let mut guard = Guard::default();
    let mut out = wasm_encoder::Component::new();
    guard
        .parse_component(&mut out, Parser::new(0), bytes)
        .map_err(|e| format!("cannot rewrite the component's floating-point code: {e}"))?;
    Ok(out.finish())
}

/// Rewrites one core module.
#[cfg(test)]
fn guard_module(bytes: &[u8]) -> Result<Vec<u8>, String> {
    well_formed(bytes)?;
    let mut guard = Guard {
        module: Shape::of(bytes)?,
        next: 0,
    };
    let mut out = wasm_encoder::Module::new();
    reencode::utils::parse_core_module(&mut guard, &mut out, Parser::new(0), bytes)
        .map_err(|e| format!("cannot rewrite the module's floating-point code: {e}"))?;
    Ok(out.finish())
}

/// Refuses bytes that are not a well-formed module or component before the
/// rewrite reads them (it expects complete, valid sections). Every proposal
/// is allowed here: which ones a plugin may use is the engine's decision,
/// when it compiles the result.
fn well_formed(bytes: &[u8]) -> Result<(), String> {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(bytes)
        .map(|_| ())
        .map_err(|e| format!("the component is not valid WebAssembly: {e}"))
}

/// What the rewrite needs to know about a module before its code.
#[derive(Debug, Default)]
struct Shape {
    /// Parameter count of each type (0 for non-function types).
    params: Vec<u32>,
    /// Type index of each defined function, in order.
    defined: Vec<u32>,
    /// The type of each global (imported ones first).
    globals: Vec<ValType>,
    /// Canonicalise after every scalar float operation.
    eager: bool,
}

fn is_float(t: &ValType) -> bool {
    matches!(t, ValType::F32 | ValType::F64)
}

impl Shape {
    fn of(bytes: &[u8]) -> Result<Self, String> {
        let mut shape = Shape::default();
        // Per type: whether it takes floats, whether it returns floats.
        let mut floats: Vec<(bool, bool)> = Vec::new();
        let mut imported_funcs = 0u32;
        let mut exported_funcs: Vec<u32> = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            let payload = payload.map_err(|e| e.to_string())?;
            match payload {
                Payload::TypeSection(s) => {
                    for group in s {
                        for sub in group.map_err(|e| e.to_string())?.into_types() {
                            match &sub.composite_type.inner {
                                CompositeInnerType::Func(f) => {
                                    shape.params.push(f.params().len() as u32);
                                    floats.push((
                                        f.params().iter().any(is_float),
                                        f.results().iter().any(is_float),
                                    ));
                                }
                                _ => {
                                    // GC types can carry floats out of the
                                    // module in ways this pass does not track.
                                    shape.eager = true;
                                    shape.params.push(0);
                                    floats.push((false, false));
                                }
                            }
                        }
                    }
                }
                Payload::ImportSection(s) => {
                    for import in s.into_imports() {
                        match import.map_err(|e| e.to_string())?.ty {
                            TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                                imported_funcs += 1;
                                // The host would see the float arguments.
                                if floats.get(t as usize).is_some_and(|f| f.0) {
                                    shape.eager = true;
                                }
                            }
                            TypeRef::Global(g) => shape.globals.push(g.content_type),
                            TypeRef::Tag(_) => shape.eager = true,
                            _ => {}
                        }
                    }
                }
                Payload::FunctionSection(s) => {
                    for t in s {
                        shape.defined.push(t.map_err(|e| e.to_string())?);
                    }
                }
                Payload::GlobalSection(s) => {
                    for g in s {
                        let g = g.map_err(|e| e.to_string())?;
                        shape.globals.push(g.ty.content_type);
                    }
                }
                Payload::TagSection(_) => shape.eager = true,
                Payload::ExportSection(s) => {
                    for e in s {
                        let e = e.map_err(|e| e.to_string())?;
                        if e.kind == ExternalKind::Func {
                            exported_funcs.push(e.index);
                        }
                    }
                }
                _ => {}
            }
        }
        // An exported function returning floats hands them to its caller
        // (the host, or another module) as they are.
        for f in exported_funcs {
            let ty = if f < imported_funcs {
                None
            } else {
                shape.defined.get((f - imported_funcs) as usize)
            };
            if ty.is_some_and(|&t| floats.get(t as usize).is_some_and(|f| f.1)) {
                shape.eager = true;
            }
        }
        Ok(shape)
    }
}

#[derive(Default)]
struct Guard {
    module: Shape,
    /// Defined functions rewritten so far in the current module.
    next: usize,
}

/// The three scratch locals added to every function.
#[derive(Clone, Copy)]
struct Scratch {
    f32: u32,
    f64: u32,
    v128: u32,
}

/// Which value a canonicalising sequence works on.
#[derive(Clone, Copy)]
enum Width {
    F32,
    F64,
    F32x4,
    F64x2,
}

/// Replaces the value on top of the stack by the canonical NaN if it is (or,
/// for a vector, lane by lane where it is) a NaN:
/// `select(canonical, v, v != v)`, or `bitselect` with the lanes' mask.
fn canon(f: &mut wasm_encoder::Function, s: Scratch, width: Width) {
    let lanes = |bytes: &[u8]| -> i128 {
        let mut v = [0u8; 16];
        for chunk in v.chunks_mut(bytes.len()) {
            chunk.copy_from_slice(bytes);
        }
        i128::from_le_bytes(v)
    };
    let local = match width {
        Width::F32 => s.f32,
        Width::F64 => s.f64,
        Width::F32x4 | Width::F64x2 => s.v128,
    };
    let mut sink = f.instructions();
    sink.local_set(local);
    match width {
        Width::F32 => sink.f32_const(Ieee32::new(CANONICAL_F32)),
        Width::F64 => sink.f64_const(Ieee64::new(CANONICAL_F64)),
        Width::F32x4 => sink.v128_const(lanes(&CANONICAL_F32.to_le_bytes())),
        Width::F64x2 => sink.v128_const(lanes(&CANONICAL_F64.to_le_bytes())),
    };
    sink.local_get(local).local_get(local).local_get(local);
    match width {
        Width::F32 => sink.f32_ne().select(),
        Width::F64 => sink.f64_ne().select(),
        Width::F32x4 => sink.f32x4_ne().v128_bitselect(),
        Width::F64x2 => sink.f64x2_ne().v128_bitselect(),
    };
}

/// Where a value is canonicalised around an operator.
enum Fix {
    None,
    /// The operand on top of the stack, before the operator.
    Before(Width),
    /// The result, after the operator.
    After(Width),
}

fn fix(op: &Operator<'_>, shape: &Shape) -> Fix {
    use Operator as O;
    match op {
        // Bits leave the float domain.
        O::F32Store { .. }
        | O::I32ReinterpretF32
        | O::F32Copysign
        | O::F32x4Splat
        | O::F32x4ReplaceLane { .. }
            if !shape.eager =>
        {
            Fix::Before(Width::F32)
        }
        O::F64Store { .. }
        | O::I64ReinterpretF64
        | O::F64Copysign
        | O::F64x2Splat
        | O::F64x2ReplaceLane { .. }
            if !shape.eager =>
        {
            Fix::Before(Width::F64)
        }
        O::GlobalSet { global_index } if !shape.eager => {
            match shape.globals.get(*global_index as usize) {
                Some(ValType::F32) => Fix::Before(Width::F32),
                Some(ValType::F64) => Fix::Before(Width::F64),
                _ => Fix::None,
            }
        }
        // Vector arithmetic: always at the operation.
        O::F32x4Add
        | O::F32x4Sub
        | O::F32x4Mul
        | O::F32x4Div
        | O::F32x4Min
        | O::F32x4Max
        | O::F32x4Sqrt
        | O::F32x4Ceil
        | O::F32x4Floor
        | O::F32x4Trunc
        | O::F32x4Nearest
        | O::F32x4DemoteF64x2Zero
        | O::F32x4RelaxedMadd
        | O::F32x4RelaxedNmadd
        | O::F32x4RelaxedMin
        | O::F32x4RelaxedMax => Fix::After(Width::F32x4),
        O::F64x2Add
        | O::F64x2Sub
        | O::F64x2Mul
        | O::F64x2Div
        | O::F64x2Min
        | O::F64x2Max
        | O::F64x2Sqrt
        | O::F64x2Ceil
        | O::F64x2Floor
        | O::F64x2Trunc
        | O::F64x2Nearest
        | O::F64x2PromoteLowF32x4
        | O::F64x2RelaxedMadd
        | O::F64x2RelaxedNmadd
        | O::F64x2RelaxedMin
        | O::F64x2RelaxedMax => Fix::After(Width::F64x2),
        // Scalar arithmetic, in a module where floats can leave otherwise.
        O::F32Add
        | O::F32Sub
        | O::F32Mul
        | O::F32Div
        | O::F32Min
        | O::F32Max
        | O::F32Sqrt
        | O::F32Ceil
        | O::F32Floor
        | O::F32Trunc
        | O::F32Nearest
        | O::F32DemoteF64
            if shape.eager =>
        {
            Fix::After(Width::F32)
        }
        O::F64Add
        | O::F64Sub
        | O::F64Mul
        | O::F64Div
        | O::F64Min
        | O::F64Max
        | O::F64Sqrt
        | O::F64Ceil
        | O::F64Floor
        | O::F64Trunc
        | O::F64Nearest
        | O::F64PromoteF32
            if shape.eager =>
        {
            Fix::After(Width::F64)
        }
        _ => Fix::None,
    }
}

impl Reencode for Guard {
    type Error = Infallible;

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        func: FunctionBody<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        let ty = self.module.defined.get(self.next).copied();
        self.next += 1;
        let params = ty
            .and_then(|t| self.module.params.get(t as usize))
            .copied()
            .unwrap_or(0);
        let mut locals = Vec::new();
        let mut count = params;
        for pair in func.get_locals_reader()? {
            let (n, t) = pair?;
            count += n;
            locals.push((n, self.val_type(t)?));
        }
        let scratch = Scratch {
            f32: count,
            f64: count + 1,
            v128: count + 2,
        };
        locals.push((1, wasm_encoder::ValType::F32));
        locals.push((1, wasm_encoder::ValType::F64));
        locals.push((1, wasm_encoder::ValType::V128));
        let mut f = wasm_encoder::Function::new(locals);
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            let fix = fix(&op, &self.module);
            if let Fix::Before(width) = fix {
                canon(&mut f, scratch, width);
            }
            let ins = self.instruction(op)?;
            f.instruction(&ins);
            if let Fix::After(width) = fix {
                canon(&mut f, scratch, width);
            }
        }
        code.function(&f);
        Ok(())
    }
}

impl ReencodeComponent for Guard {
    fn parse_component_submodule(
        &mut self,
        component: &mut wasm_encoder::Component,
        parser: Parser,
        module: &[u8],
    ) -> Result<(), reencode::Error<Self::Error>> {
        // `guard_component` validated the whole component first, so every
        // module parses.
        let outer = std::mem::replace(&mut self.module, Shape::of(module).unwrap_or_default());
        let outer_next = std::mem::replace(&mut self.next, 0);
        let result =
            reencode::component_utils::parse_component_submodule(self, component, parser, module);
        self.module = outer;
        self.next = outer_next;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{Config, Engine, Instance, Module, Store};

    /// An engine like the host's: the compiler's own NaN pass off.
    fn engine() -> Engine {
        let mut config = Config::new();
        config.cranelift_nan_canonicalization(false);
        Engine::new(&config).expect("engine")
    }

    /// Runs the export `name` of `wat` with zero arguments and returns its
    /// result's bits.
    fn bits(wat: &str, guarded: bool, name: &str) -> u64 {
        let mut bytes = wat::parse_str(wat).expect("wat");
        if guarded {
            bytes = guard_module(&bytes).expect("guard");
        }
        let engine = engine();
        let module = Module::new(&engine, &bytes).expect("module");
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instance");
        let func = instance.get_func(&mut store, name).expect("export");
        let ty = func.ty(&store);
        let args: Vec<wasmtime::Val> = ty
            .params()
            .map(|t| wasmtime::Val::default_for_ty(&t).expect("a number type"))
            .collect();
        let mut out = [wasmtime::Val::I32(0)];
        func.call(&mut store, &args, &mut out).expect("call");
        match out[0] {
            wasmtime::Val::I32(v) => u64::from(v as u32),
            wasmtime::Val::I64(v) => v as u64,
            wasmtime::Val::F32(v) => u64::from(v),
            wasmtime::Val::F64(v) => v,
            ref v => panic!("unexpected result {v:?}"),
        }
    }

    const OBSERVED: &str = r#"
        (module
          (memory 1)
          (global $g (mut f64) (f64.const 0))
          ;; A NaN with a payload, carried through an addition.
          (func $payload (result f64)
            (f64.add (f64.reinterpret_i64 (i64.const 0x7ff8000000001234)) (f64.const 1)))
          (func (export "reinterpret") (result i64)
            (i64.reinterpret_f64 (call $payload)))
          (func (export "div") (param f64 f64) (result i64)
            (i64.reinterpret_f64 (f64.div (local.get 0) (local.get 1))))
          (func (export "div32") (param f64 f64) (result i32)
            (i32.reinterpret_f32
              (f32.div (f32.demote_f64 (local.get 0)) (f32.demote_f64 (local.get 1)))))
          (func (export "store") (param f64 f64) (result i64)
            (f64.store (i32.const 8) (f64.div (local.get 0) (local.get 1)))
            (i64.load (i32.const 8)))
          (func (export "sign") (param f64 f64) (result i64)
            (i64.reinterpret_f64
              (f64.copysign (f64.const 1) (f64.div (local.get 0) (local.get 1)))))
          (func (export "global") (param f64 f64) (result i64)
            (global.set $g (f64.div (local.get 0) (local.get 1)))
            (f64.store (i32.const 16) (global.get $g))
            (i64.load (i32.const 16)))
          (func (export "lanes") (param f64 f64) (result i64)
            (i64x2.extract_lane 1
              (f64x2.div (f64x2.splat (local.get 0)) (f64x2.splat (local.get 1)))))
          (func (export "splat") (result i64)
            (i64x2.extract_lane 0 (f64x2.splat (call $payload))))
          ;; No NaN: the rewrite must not change the value.
          (func (export "plain") (param f64 f64) (result i64)
            (i64.reinterpret_f64
              (f64.div (f64.add (f64.const 1) (local.get 0)) (f64.const 3)))))
    "#;

    const CANONICAL: u64 = CANONICAL_F64;

    #[test]
    fn every_observed_nan_is_canonical() {
        for name in ["reinterpret", "div", "store", "global", "lanes", "splat"] {
            assert_eq!(bits(OBSERVED, true, name), CANONICAL, "{name}");
        }
        assert_eq!(bits(OBSERVED, true, "div32"), u64::from(CANONICAL_F32));
        // copysign takes a canonical (positive) sign: +1.
        assert_eq!(bits(OBSERVED, true, "sign"), 1f64.to_bits());
        assert_eq!(
            bits(OBSERVED, true, "plain"),
            bits(OBSERVED, false, "plain")
        );
        assert_eq!(bits(OBSERVED, true, "plain"), (1f64 / 3.0).to_bits());
    }

    /// Without the rewrite the same engine shows the processor's own NaNs,
    /// so the test above is not vacuous (on x86-64: the payload carried
    /// through, and a negative NaN for 0/0).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_processor_s_nans_differ_without_the_rewrite() {
        assert_eq!(bits(OBSERVED, false, "reinterpret"), 0x7ff8_0000_0000_1234);
        assert_eq!(bits(OBSERVED, false, "div"), 0xfff8_0000_0000_0000);
        assert_eq!(bits(OBSERVED, false, "store"), 0xfff8_0000_0000_0000);
        assert_eq!(bits(OBSERVED, false, "sign"), (-1f64).to_bits());
        assert_eq!(bits(OBSERVED, false, "lanes"), 0xfff8_0000_0000_0000);
    }

    /// A module that returns floats from an export is canonicalised after
    /// every float operation.
    #[test]
    fn float_results_make_the_module_eager() {
        let wat = r#"
            (module
              (func (export "div") (param f64 f64) (result f64)
                (f64.div (local.get 0) (local.get 1)))
              (func (export "payload") (result f64)
                (f64.add (f64.reinterpret_i64 (i64.const 0x7ff8000000001234)) (f64.const 1))))
        "#;
        let shape = Shape::of(&wat::parse_str(wat).unwrap()).unwrap();
        assert!(shape.eager);
        assert_eq!(bits(wat, true, "div"), CANONICAL);
        assert_eq!(bits(wat, true, "payload"), CANONICAL);
        let lazy = Shape::of(&wat::parse_str(OBSERVED).unwrap()).unwrap();
        assert!(!lazy.eager);
    }

    /// An import taking floats would let the host see them.
    #[test]
    fn float_arguments_to_imports_make_the_module_eager() {
        let wat = r#"
            (module
              (import "host" "log" (func (param f64)))
              (func (export "run") (call 0 (f64.const 1))))
        "#;
        assert!(Shape::of(&wat::parse_str(wat).unwrap()).unwrap().eager);
        let wat = r#"
            (module
              (import "host" "count" (func (param i32) (result f64)))
              (func (export "run") (result i32) (i32.const 0)))
        "#;
        assert!(!Shape::of(&wat::parse_str(wat).unwrap()).unwrap().eager);
    }

    /// Every first-party component takes the fast path (no module is
    /// canonicalised after every operation), and the rewrite of each is
    /// valid WebAssembly.
    #[test]
    fn first_party_components_are_rewritten_at_observation_points_only() {
        for (name, bytes) in crate::FIRST_PARTY_PACKAGES {
            let package = crate::package::Package::from_bytes(bytes).expect(name);
            let component = package.component();
            let mut modules = 0;
            for payload in Parser::new(0).parse_all(component) {
                if let Payload::ModuleSection {
                    unchecked_range, ..
                } = payload.expect(name)
                {
                    let shape = Shape::of(&component[unchecked_range]).expect(name);
                    assert!(!shape.eager, "{name}: a module is rewritten eagerly");
                    modules += 1;
                }
            }
            assert!(modules > 0, "{name}: no core module found");
            let guarded = guard_component(component).expect(name);
            assert_ne!(guarded.as_slice(), component, "{name}: nothing rewritten");
            wasmparser::Validator::new()
                .validate_all(&guarded)
                .unwrap_or_else(|e| panic!("{name}: the rewrite is not valid: {e}"));
        }
    }

    /// Parameters and declared locals keep their indices; the scratch
    /// locals come after them.
    #[test]
    fn locals_keep_their_indices() {
        let wat = r#"
            (module
              (memory 1)
              (func (export "run") (param f64 i32) (result i64)
                (local i64 f64)
                (local.set 3 (f64.div (local.get 0) (local.get 0)))
                (f64.store (i32.const 0) (local.get 3))
                (local.set 2 (i64.load (i32.const 0)))
                (i64.add (local.get 2) (i64.extend_i32_u (local.get 1)))))
        "#;
        // 0/0 is NaN: canonical bits, plus the i32 argument (0).
        assert_eq!(bits(wat, true, "run"), CANONICAL);
    }
}
