//! What the loom models of this crate share: run a model over every
//! interleaving, or run one that loom must reject and return loom's message.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `model` under loom with at most `preemptions` forced thread switches
/// (`None`: no bound) unless `LOOM_MAX_PREEMPTIONS` says otherwise, and
/// returns how many interleavings it ran: a sanity check that the model is
/// not trivial.
pub(crate) fn explore(
    preemptions: Option<usize>,
    model: impl Fn() + Sync + Send + 'static,
) -> usize {
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    // `Builder::new` reads LOOM_MAX_PREEMPTIONS (and loom's other settings).
    let mut builder = loom::model::Builder::new();
    if std::env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
        builder.preemption_bound = preemptions;
    }
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        model();
    });
    let runs = runs.load(Ordering::Relaxed);
    println!("explored {runs} interleavings");
    runs
}

/// Explores a broken `model` with no preemption bound, requires loom to
/// reject it (else panics with `accepted`), and returns loom's panic message.
pub(crate) fn loom_rejects(accepted: &str, model: impl Fn() + Sync + Send + 'static) -> String {
    let outcome = catch_unwind(AssertUnwindSafe(|| explore(None, model)));
    let panic = outcome.expect_err(accepted);
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "<non-string panic>".to_string());
    println!("loom's verdict: {message}");
    message
}
