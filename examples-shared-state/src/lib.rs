//! Support code of the `examples-shared-state` recipes.
pub mod arc;
pub mod spinlock;
