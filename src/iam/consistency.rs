//! IAM is eventually consistent: a role created a moment ago may not be
//! assumable or passable yet. Retry only the specific errors that mean
//! "not visible yet", with backoff, within a bound; never sleep blindly.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct Backoff {
    pub first: Duration,
    pub max_delay: Duration,
    pub total: Duration,
}

impl Default for Backoff {
    /// AWS documents propagation "usually within seconds"; two minutes bounds it.
    fn default() -> Self {
        Backoff {
            first: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            total: Duration::from_secs(120),
        }
    }
}

/// Runs `op` until it succeeds, fails with a non-retryable error, the bound
/// is spent, or the operation is cancelled. Returns the last result.
pub async fn retry_propagation<T, E, F, Fut>(
    what: &str,
    backoff: &Backoff,
    cancel: &CancellationToken,
    is_propagation_error: impl Fn(&E) -> bool,
    mut op: F,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let start = tokio::time::Instant::now();
    let mut delay = backoff.first;
    let mut attempt = 1u32;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e)
                if is_propagation_error(&e)
                    && start.elapsed() + delay <= backoff.total
                    && !cancel.is_cancelled() =>
            {
                crate::info!("waiting for IAM to propagate", "operation" => what, "attempt" => attempt, "retry_in_ms" => delay.as_millis());
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = cancel.cancelled() => {}
                }
                delay = (delay * 2).min(backoff.max_delay);
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Error texts AWS services return while a new role is not yet usable.
pub fn looks_like_propagation(code: &str, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    matches!(
        code,
        "InvalidParameterValueException"
            | "AccessDeniedException"
            | "ValidationException"
            | "InvalidRequestException"
            | "InvalidDefinition"
            | "InvalidParameterException"
    ) && (m.contains("cannot be assumed")
        || m.contains("not authorized to perform: sts:assumerole")
        || m.contains("role defined for the function cannot be assumed")
        || m.contains("is not authorized to assume")
        || m.contains("unable to assume")
        || m.contains("neither the global service principal")
        || m.contains("invalid principal"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast() -> Backoff {
        Backoff {
            first: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            total: Duration::from_millis(200),
        }
    }

    #[tokio::test]
    async fn retries_only_propagation_errors_and_stops() {
        let calls = AtomicU32::new(0);
        let r: Result<u32, &str> = retry_propagation(
            "t",
            &fast(),
            &CancellationToken::new(),
            |e| *e == "not yet",
            || async {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                if n < 3 {
                    Err("not yet")
                } else {
                    Ok(n)
                }
            },
        )
        .await;
        assert_eq!(r, Ok(3));

        let calls = AtomicU32::new(0);
        let r: Result<u32, &str> = retry_propagation(
            "t",
            &fast(),
            &CancellationToken::new(),
            |e| *e == "not yet",
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err("fatal")
            },
        )
        .await;
        assert_eq!((r, calls.load(Ordering::SeqCst)), (Err("fatal"), 1));

        // Bounded: gives up with the last error.
        let r: Result<u32, &str> = retry_propagation(
            "t",
            &fast(),
            &CancellationToken::new(),
            |_| true,
            || async { Err("not yet") },
        )
        .await;
        assert_eq!(r, Err("not yet"));
    }

    #[test]
    fn recognises_service_messages() {
        assert!(looks_like_propagation(
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda."
        ));
        assert!(looks_like_propagation("AccessDeniedException", "Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role."));
        assert!(!looks_like_propagation(
            "ThrottlingException",
            "Rate exceeded"
        ));
    }
}
