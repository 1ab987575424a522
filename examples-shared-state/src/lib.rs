//! Support code of the `examples-shared-state` recipes.
pub mod arc;
pub mod shutdown;
pub mod spinlock;
