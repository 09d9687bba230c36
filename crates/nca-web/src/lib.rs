//! The browser playground's engines, compiled to `wasm32-unknown-unknown` without wasm-bindgen:
//! plain `#[no_mangle] extern "C"` functions over numbers and pointers into the module's linear
//! memory. `web/nca.js` is the loader: it copies inputs in through [`nca_alloc`], calls the
//! exports and reads results (states, RGBA frames, strings) straight out of `memory`.
//!
//! Conventions: a function that can fail returns `0` on success and `1` on failure, with a
//! one-line message behind [`nca_error_ptr`] / [`nca_error_len`]. Each panel (classify, grow,
//! refine, life) keeps one engine in a thread-local; the page runs on one thread.
//!
//! The model code is [`nca_models`]' (the same as `nca`'s fast path, seed for seed); this crate
//! only holds the panels' state and rendering.

mod classify;
mod grow;
mod life;
mod refine;

use std::cell::RefCell;

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

/// Pointer to the last error message (UTF-8).
#[unsafe(no_mangle)]
pub extern "C" fn nca_error_ptr() -> *const u8 {
    ERROR.with(|e| e.borrow().as_ptr())
}

/// Length in bytes of the last error message.
#[unsafe(no_mangle)]
pub extern "C" fn nca_error_len() -> usize {
    ERROR.with(|e| e.borrow().len())
}

/// Pointer to the last text result (e.g. a list of names), UTF-8.
#[unsafe(no_mangle)]
pub extern "C" fn nca_text_ptr() -> *const u8 {
    TEXT.with(|t| t.borrow().as_ptr())
}

/// Length in bytes of the last text result.
#[unsafe(no_mangle)]
pub extern "C" fn nca_text_len() -> usize {
    TEXT.with(|t| t.borrow().len())
}

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

/// A one-line error.
pub(crate) fn err<T>(msg: impl Into<String>) -> Result<T, String> {
    Err(msg.into())
}
