//! The browser playground's engines, compiled to `wasm32-unknown-unknown` without wasm-bindgen:
//! plain `#[no_mangle] extern "C"` functions over numbers and pointers into the module's linear
//! memory. `web/nca.js` is the loader: it copies inputs in through [`nca_alloc`], calls the
//! exports and reads results (states, RGBA frames, strings) straight out of `memory`.
//!
//! Conventions: a function that can fail returns `0` on success and `1` on failure, with a
//! one-line message behind [`nca_error_ptr`] / [`nca_error_len`]. Each panel (classify, grow,
//! refine, life, lenia, eca) keeps one engine in a thread-local; the page runs on one thread.
//!
//! The model code is [`nca_models`]' (the same as `nca`'s fast path, seed for seed); this crate
//! only holds the panels' state and rendering.

/// A panel's engine slot: the thread-local `PANEL` holding the loaded `$panel` (if any),
/// `with(f)`, which runs `f` on it or fails with `$missing`, and `install(panel)`.
///
/// With `$load($parse, $new)` first (after its doc comment), also the export `$load(ptr, len)`:
/// the checkpoint in the `len` bytes at `ptr` read by `$parse` into a model, `$new(model)` made
/// from it and installed.
macro_rules! panel_slot {
    ($(#[$doc:meta])* $load:ident($parse:path, $new:path) -> $panel:ty, $missing:literal) => {
        panel_slot!($panel, $missing);

        $(#[$doc])*
        ///
        /// # Safety
        /// `ptr..ptr+len` must be readable.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $load(ptr: *const u8, len: usize) -> i32 {
            // SAFETY: forwarded from the caller.
            let bytes = unsafe { $crate::bytes(ptr, len) };
            let panel = $parse(bytes).map_err(|e| e.to_string()).and_then($new);
            $crate::status(panel.map(install))
        }
    };
    ($panel:ty, $missing:literal) => {
        thread_local! {
            static PANEL: std::cell::RefCell<Option<$panel>> = const { std::cell::RefCell::new(None) };
        }

        fn with<T>(f: impl FnOnce(&mut $panel) -> Result<T, String>) -> Result<T, String> {
            PANEL.with(|p| match p.borrow_mut().as_mut() {
                Some(p) => f(p),
                None => $crate::err($missing),
            })
        }

        fn install(panel: $panel) {
            PANEL.with(|p| *p.borrow_mut() = Some(panel));
        }
    };
}

/// The exports of a panel that runs a [`Stepper`](nca_models::Stepper) in its field `stepper`:
/// `$tick(n)`, `$ticks()`, `$state_ptr()` and `$state_len()` (the state being `$shape`). Needs
/// the panel's `with` from [`panel_slot!`].
macro_rules! stepper_exports {
    ($tick:ident, $ticks:ident, $state_ptr:ident, $state_len:ident, $shape:literal) => {
        /// Runs `n` ticks.
        #[unsafe(no_mangle)]
        pub extern "C" fn $tick(n: u32) -> i32 {
            $crate::status(with(|p| {
                p.stepper.run(n as usize).map_err(|e| e.to_string())
            }))
        }

        /// Ticks run since the last reset.
        #[unsafe(no_mangle)]
        pub extern "C" fn $ticks() -> f64 {
            with(|p| Ok(p.stepper.ticks as f64)).unwrap_or(0.0)
        }

        #[doc = concat!("Pointer to the state `", $shape, "` (f32), valid until the next call.")]
        #[unsafe(no_mangle)]
        pub extern "C" fn $state_ptr() -> *const f32 {
            with(|p| Ok(p.stepper.state.as_ptr())).unwrap_or(std::ptr::null())
        }

        /// Number of f32 values in the state.
        #[unsafe(no_mangle)]
        pub extern "C" fn $state_len() -> usize {
            with(|p| Ok(p.stepper.state.len())).unwrap_or(0)
        }
    };
}

mod classify;
mod eca;
mod grow;
mod lenia;
mod life;
mod refine;

use std::cell::RefCell;

use nca_models::Stepper;

thread_local! {
    static ERROR: RefCell<String> = const { RefCell::new(String::new()) };
    static TEXT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Allocates `len` bytes (8-aligned) for the caller to fill; free with [`nca_free`].
#[unsafe(no_mangle)]
pub extern "C" fn nca_alloc(len: usize) -> *mut u8 {
    let words = len.div_ceil(8).max(1);
    let mut v = vec![0u64; words];
    let p = v.as_mut_ptr() as *mut u8;
    std::mem::forget(v);
    p
}

/// Frees a buffer from [`nca_alloc`] of the same `len`.
///
/// # Safety
/// `ptr` must come from `nca_alloc(len)` and not be used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nca_free(ptr: *mut u8, len: usize) {
    let words = len.div_ceil(8).max(1);
    // SAFETY: the caller passes back a pointer from `nca_alloc` with the same length.
    drop(unsafe { Vec::from_raw_parts(ptr as *mut u64, words, words) });
}

/// Exports `$ptr` and `$len`: where the string in the thread-local `$cell` lies in memory.
macro_rules! string_exports {
    ($cell:ident, $ptr:ident, $len:ident, $what:literal) => {
        #[doc = concat!("Pointer to ", $what, " (UTF-8).")]
        #[unsafe(no_mangle)]
        pub extern "C" fn $ptr() -> *const u8 {
            $cell.with(|s| s.borrow().as_ptr())
        }

        #[doc = concat!("Length in bytes of ", $what, ".")]
        #[unsafe(no_mangle)]
        pub extern "C" fn $len() -> usize {
            $cell.with(|s| s.borrow().len())
        }
    };
}

string_exports!(
    ERROR,
    nca_error_ptr,
    nca_error_len,
    "the last error message"
);
string_exports!(
    TEXT,
    nca_text_ptr,
    nca_text_len,
    "the last text result (e.g. a list of names)"
);

pub(crate) fn set_text(s: String) {
    TEXT.with(|t| *t.borrow_mut() = s);
}

/// `0` for `Ok`, else `1` with the message stored for [`nca_error_ptr`].
pub(crate) fn status<E: std::fmt::Display>(r: Result<(), E>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            ERROR.with(|m| *m.borrow_mut() = e.to_string());
            1
        }
    }
}

/// The `len` bytes at `ptr` (from [`nca_alloc`]), borrowed.
///
/// # Safety
/// `ptr..ptr+len` must be readable for the returned lifetime.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: guaranteed by the caller.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

/// The `n` f32 values at `ptr`, borrowed.
///
/// # Safety
/// `ptr` must be 4-aligned and `ptr..ptr+4n` readable for the returned lifetime.
pub(crate) unsafe fn floats<'a>(ptr: *const f32, n: usize) -> &'a [f32] {
    if n == 0 {
        return &[];
    }
    // SAFETY: guaranteed by the caller.
    unsafe { std::slice::from_raw_parts(ptr, n) }
}

/// A stepper over `state` on a `side × side` grid with the fire masks of seed 0 (until a reset).
pub(crate) fn stepper(
    spec: &nca_models::nca_fast::NcaSpec,
    params: &nca_models::nca_fast::NcaParams,
    state: Vec<f32>,
    side: usize,
    fire_rate: f32,
) -> Result<Stepper, String> {
    Stepper::new(
        spec.clone(),
        params.clone(),
        state,
        [1, side, side],
        fire_rate,
        0,
    )
    .map_err(|e| e.to_string())
}

/// A one-line error.
pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, String> {
    Err(msg.into())
}
