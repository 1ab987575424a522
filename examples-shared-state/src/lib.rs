//! Support code of the `examples-shared-state` recipes.
pub mod arc;
#[cfg(all(test, loom))]
mod loom_support;
pub mod shutdown;
pub mod spinlock;
