//! One plugin's compiled module and the running of one hook call: a fresh instance in a store
//! of its own, with WASI preview1 limited to the granted folders (read-only), stderr kept, a
//! memory cap and an epoch deadline. Nothing survives a call, so calls run in parallel and a
//! result depends only on the call's inputs (and the granted files).

use std::path::PathBuf;
use std::time::Duration;

use wasmtime::{
    ExternType, InstancePre, Linker, Module, ResourceLimiter, Store, StoreLimits,
    StoreLimitsBuilder, Trap, ValType,
};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::stderr::StderrTail;
use crate::threads::{self, ActiveCall, Runtime, TICK};

/// The only module a plugin may import from.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// A hook of the ABI, with its export name and parameter count (all `i32`, result `i64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hook {
    ResolveId,
    Load,
    Transform,
}

impl Hook {
    pub const ALL: [Hook; 3] = [Hook::ResolveId, Hook::Load, Hook::Transform];

    pub fn export(self) -> &'static str {
        match self {
            Hook::ResolveId => "resolve_id",
            Hook::Load => "load",
            Hook::Transform => "transform",
        }
    }

    /// Strings passed in: (ptr, len) each.
    pub fn inputs(self) -> usize {
        match self {
            Hook::Load => 1,
            Hook::ResolveId | Hook::Transform => 2,
        }
    }
}

/// What a plugin may use, besides its own code.
#[derive(Debug, Clone)]
pub struct Grants {
    /// Folders it may read (host paths; the guest sees each at the same absolute path).
    pub read: Vec<PathBuf>,
    pub memory_limit_bytes: u64,
    pub timeout: Duration,
}

/// A compiled plugin, ready to be instantiated per call (shared by every thread).
pub struct CompiledPlugin {
    runtime: &'static Runtime,
    pre: InstancePre<CallState>,
    hooks: Vec<Hook>,
    initialize: bool,
    grants: Grants,
}

/// Why a call gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    TimeLimit,
    MemoryLimit,
    StackOverflow,
    /// Any other trap (`unreachable`, an out-of-bounds access…), as wasmtime words it.
    Trap(String),
    /// The plugin answered with an error message (bit 31 of the length set).
    Plugin(String),
    /// The plugin broke the ABI (a pointer outside its memory, text that is not UTF-8).
    Abi(String),
    /// Something on Nexxo's side (a granted folder that cannot be opened, no thread).
    Host(String),
}

/// A failed call with what the plugin wrote to stderr.
#[derive(Debug)]
pub struct CallFailure {
    pub error: CallError,
    pub stderr: Option<String>,
}

impl CompiledPlugin {
    /// Compiles `bytes` (binary WebAssembly or WAT text) and checks its imports and exports
    /// against the ABI. Errors are sentences about the module.
    pub fn new(bytes: &[u8], grants: Grants) -> Result<Self, String> {
        let runtime = threads::runtime()?;
        let module = Module::new(&runtime.engine, bytes)
            .map_err(|err| format!("is not a valid WebAssembly module: {err:#}"))?;
        for import in module.imports() {
            if import.module() != WASI_MODULE {
                return Err(format!(
                    "imports `{}.{}`: WASM plugins may import only WASI preview1 (`{WASI_MODULE}`)",
                    import.module(),
                    import.name()
                ));
            }
        }
        let memory = module.get_export("memory");
        match &memory {
            Some(ExternType::Memory(memory)) if !memory.is_64() && !memory.is_shared() => {}
            Some(_) => return Err("exports `memory`, but not as a 32-bit, unshared memory".into()),
            None => return Err("does not export `memory`".into()),
        }
        check_signature(
            &module,
            "nexxo_alloc",
            &[ValType::I32],
            &[ValType::I32],
            true,
        )?;
        let initialize = check_signature(&module, "_initialize", &[], &[], false)?;
        let mut hooks = Vec::new();
        for hook in Hook::ALL {
            let params = vec![ValType::I32; hook.inputs() * 2];
            if check_signature(&module, hook.export(), &params, &[ValType::I64], false)? {
                hooks.push(hook);
            }
        }
        if hooks.is_empty() {
            return Err("exports none of `resolve_id`, `load` and `transform`".into());
        }
        let mut linker: Linker<CallState> = Linker::new(&runtime.engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |state| &mut state.wasi)
            .map_err(|err| format!("cannot link WASI: {err:#}"))?;
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|err| format!("cannot be linked: {err:#}"))?;
        Ok(Self {
            runtime,
            pre,
            hooks,
            initialize,
            grants,
        })
    }

    /// The hooks the module exports.
    pub fn hooks(&self) -> &[Hook] {
        &self.hooks
    }

    pub fn grants(&self) -> &Grants {
        &self.grants
    }

    /// Calls `hook` with `inputs` (one string per ABI parameter pair; `None` is passed as
    /// (0, 0)) in a fresh instance. `Ok(None)`: the plugin's "not mine".
    pub fn call(&self, hook: Hook, inputs: &[Option<&str>]) -> Result<Option<String>, CallFailure> {
        let stderr = StderrTail::default();
        let outcome = self.call_in_fresh_instance(hook, inputs, &stderr);
        outcome.map_err(|error| CallFailure {
            error,
            stderr: stderr.text(),
        })
    }

    fn call_in_fresh_instance(
        &self,
        hook: Hook,
        inputs: &[Option<&str>],
        stderr: &StderrTail,
    ) -> Result<Option<String>, CallError> {
        let mut wasi = WasiCtxBuilder::new();
        // No args, no env, stdin closed, stdout discarded (the builder's defaults); no
        // sockets (preview1 has no way to open one, and these deny any that might exist).
        wasi.stderr(stderr.clone())
            .allow_blocking_current_thread(true)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        for folder in &self.grants.read {
            let guest = folder.to_string_lossy();
            wasi.preopened_dir(folder, &guest, FsPerms::ReadOnly)
                .map_err(|err| {
                    CallError::Host(format!("cannot open {}: {err:#}", folder.display()))
                })?;
        }
        let limit = usize::try_from(self.grants.memory_limit_bytes).unwrap_or(usize::MAX);
        let state = CallState {
            wasi: wasi.build_p1(),
            limits: CallLimits {
                memory_limit: limit,
                hit: false,
                // A Rust plugin's table holds a few thousand functions; this is far above.
                store: StoreLimitsBuilder::new()
                    .table_elements(1 << 20)
                    .instances(1)
                    .memories(1)
                    .build(),
            },
        };
        let mut store = Store::new(&self.runtime.engine, state);
        store.limiter(|state| &mut state.limits);
        let ticks = self.grants.timeout.as_millis().div_ceil(TICK.as_millis()) + 1;
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
        store.epoch_deadline_trap();
        let _running = ActiveCall::start(self.runtime);

        let outcome = (|| {
            let instance = self.pre.instantiate(&mut store)?;
            if self.initialize {
                instance
                    .get_typed_func::<(), ()>(&mut store, "_initialize")?
                    .call(&mut store, ())?;
            }
            let memory = instance
                .get_memory(&mut store, "memory")
                .ok_or_else(|| wasmtime::format_err!("no `memory` export"))?;
            let alloc = instance.get_typed_func::<i32, i32>(&mut store, "nexxo_alloc")?;
            let mut args: Vec<i32> = Vec::with_capacity(inputs.len() * 2);
            for input in inputs {
                let text = input.unwrap_or("");
                if text.is_empty() {
                    args.extend([0, 0]);
                    continue;
                }
                let len = i32::try_from(text.len())
                    .map_err(|_| wasmtime::Error::new(AbiError("an input is over 2 GiB".into())))?;
                let ptr = alloc.call(&mut store, len)?;
                let start = ptr as u32 as usize;
                memory.write(&mut store, start, text.as_bytes()).map_err(|_| {
                    wasmtime::Error::new(AbiError(format!(
                        "`nexxo_alloc({len})` returned {ptr}, which leaves no room for {len} bytes in its memory"
                    )))
                })?;
                args.extend([ptr, len]);
            }
            let result = match (hook, args.as_slice()) {
                (Hook::Load, &[a, b]) => instance
                    .get_typed_func::<(i32, i32), i64>(&mut store, hook.export())?
                    .call(&mut store, (a, b))?,
                (Hook::ResolveId | Hook::Transform, &[a, b, c, d]) => instance
                    .get_typed_func::<(i32, i32, i32, i32), i64>(&mut store, hook.export())?
                    .call(&mut store, (a, b, c, d))?,
                _ => wasmtime::bail!("wrong number of inputs for `{}`", hook.export()),
            };
            Ok(read_result(result, memory.data(&store)))
        })();

        match outcome {
            Ok(result) => result,
            Err(err) => Err(classify(&err, store.data().limits.hit)),
        }
    }
}

/// An ABI breach found while passing inputs, carried through wasmtime's error type.
#[derive(Debug)]
struct AbiError(String);

impl std::fmt::Display for AbiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AbiError {}

fn classify(err: &wasmtime::Error, memory_limit_hit: bool) -> CallError {
    if memory_limit_hit {
        return CallError::MemoryLimit;
    }
    if let Some(abi) = err.downcast_ref::<AbiError>() {
        return CallError::Abi(abi.0.clone());
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => CallError::TimeLimit,
        Some(Trap::StackOverflow) => CallError::StackOverflow,
        Some(trap) => CallError::Trap(trap.to_string()),
        // WASI's `proc_exit` and host errors; the first line is the message.
        None => CallError::Trap(
            format!("{err:#}")
                .lines()
                .next()
                .unwrap_or_default()
                .to_string(),
        ),
    }
}

/// Decodes a hook's `i64`: 0 is "not mine"; otherwise the pointer is the high 32 bits, the
/// length the low 31, and bit 31 marks the text as an error message.
fn read_result(value: i64, memory: &[u8]) -> Result<Option<String>, CallError> {
    if value == 0 {
        return Ok(None);
    }
    let bits = value as u64;
    let ptr = (bits >> 32) as usize;
    let is_error = bits & 0x8000_0000 != 0;
    let len = (bits & 0x7FFF_FFFF) as usize;
    let bytes = memory.get(ptr..ptr + len).ok_or_else(|| {
        CallError::Abi(format!(
            "returned {len} bytes at {ptr}, outside its {} bytes of memory",
            memory.len()
        ))
    })?;
    let text = std::str::from_utf8(bytes)
        .map_err(|err| CallError::Abi(format!("returned text that is not UTF-8 ({err})")))?
        .to_string();
    if is_error {
        Err(CallError::Plugin(text))
    } else {
        Ok(Some(text))
    }
}

/// Whether `name` is exported as a function of exactly this signature; an export of another
/// kind or signature is an error, a missing one too when `required`.
fn check_signature(
    module: &Module,
    name: &str,
    params: &[ValType],
    results: &[ValType],
    required: bool,
) -> Result<bool, String> {
    let describe = |types: &[ValType]| {
        types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let expected = format!("({}) -> ({})", describe(params), describe(results));
    match module.get_export(name) {
        None if required => Err(format!("does not export `{name}` {expected}")),
        None => Ok(false),
        Some(ExternType::Func(func)) => {
            let found_params: Vec<ValType> = func.params().collect();
            let found_results: Vec<ValType> = func.results().collect();
            let same = |a: &[ValType], b: &[ValType]| {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| ValType::eq(x, y))
            };
            if same(&found_params, params) && same(&found_results, results) {
                Ok(true)
            } else {
                Err(format!(
                    "exports `{name}` as ({}) -> ({}), but the ABI says {expected}",
                    describe(&found_params),
                    describe(&found_results)
                ))
            }
        }
        Some(_) => Err(format!(
            "exports `{name}`, but not as a function {expected}"
        )),
    }
}

/// A call's store data.
pub struct CallState {
    wasi: WasiP1Ctx,
    limits: CallLimits,
}

/// `StoreLimits`, with a growth past the plugin's memory cap turned into a trap that is
/// remembered, so the failure is reported as the limit rather than as whatever the plugin's
/// allocator does with a failed `memory.grow`.
struct CallLimits {
    memory_limit: usize,
    hit: bool,
    store: StoreLimits,
}

impl ResourceLimiter for CallLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_limit {
            self.hit = true;
            wasmtime::bail!("memory limit of {} bytes reached", self.memory_limit);
        }
        self.store.memory_growing(current, desired, maximum)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.store.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.store.instances()
    }

    fn tables(&self) -> usize {
        self.store.tables()
    }

    fn memories(&self) -> usize {
        self.store.memories()
    }
}
