//! What a connection may cost the editor before it has said hello.
//!
//! Any local process can open a socket to the endpoint; only one that read
//! the token from the user's discovery file gets past the hello. Until then
//! a connection is held to little: few of them at once ([`Gate`], which
//! cuts off the longest waiting one to let a newcomer in), a few
//! kilobytes read ([`Budgeted`]), and one deadline for the upgrade and the
//! hello together (in `server`). After the hello the budget is lifted and
//! the normal frame limits apply.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::AbortHandle;

/// Connections that have not said hello yet, at most.
pub const MAX_UNAUTHENTICATED: usize = 32;
/// Bytes read from a connection before its hello: the upgrade request and
/// the hello fit with room to spare; a big frame does not.
pub const PRE_HELLO_BYTES: usize = 16 << 10;

/// The connections still before their hello, oldest first.
#[derive(Default)]
pub struct Gate {
    waiting: Mutex<VecDeque<(u64, AbortHandle)>>,
    next: AtomicU64,
}

/// A place taken at the [`Gate`], given back when dropped.
pub struct Pass {
    gate: Arc<Gate>,
    id: u64,
}

impl Gate {
    /// Spawns `connection` with a place at the gate. When every place is
    /// taken, the connection that has waited longest is cut off for it:
    /// sockets that never say hello cannot keep a client out that would.
    pub fn admit<F>(gate: &Arc<Gate>, connection: impl FnOnce(Pass) -> F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let id = gate.next.fetch_add(1, Ordering::Relaxed);
        let pass = Pass {
            gate: Arc::clone(gate),
            id,
        };
        let task = tokio::spawn(connection(pass));
        let mut waiting = gate.lock();
        if task.is_finished() {
            return;
        }
        waiting.push_back((id, task.abort_handle()));
        while waiting.len() > MAX_UNAUTHENTICATED {
            if let Some((_, oldest)) = waiting.pop_front() {
                oldest.abort();
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(u64, AbortHandle)>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn waiting(&self) -> Vec<u64> {
        self.lock().iter().map(|(id, _)| *id).collect()
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        self.gate.lock().retain(|(id, _)| *id != self.id);
    }
}

/// Pings a connection may send: a burst, then a steady trickle. A client
/// that pings faster is flooding (its pongs pile up unread) and is cut off.
pub struct PingMeter {
    allowance: f64,
    last: std::time::Instant,
}

impl PingMeter {
    const BURST: f64 = 256.0;
    const PER_SECOND: f64 = 32.0;

    pub fn new() -> Self {
        PingMeter {
            allowance: Self::BURST,
            last: std::time::Instant::now(),
        }
    }

    /// Counts one ping; false once the client pings faster than allowed.
    pub fn allow(&mut self) -> bool {
        self.allow_at(std::time::Instant::now())
    }

    fn allow_at(&mut self, now: std::time::Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.allowance = (self.allowance + elapsed * Self::PER_SECOND).min(Self::BURST) - 1.0;
        self.allowance >= 0.0
    }
}

/// A stream that reads at most a budget of bytes until [`Budget::lift`].
pub struct Budgeted<S> {
    inner: S,
    budget: Budget,
}

/// The read budget of one [`Budgeted`] stream; `usize::MAX` is no limit.
#[derive(Clone)]
pub struct Budget(Arc<AtomicUsize>);

impl Budget {
    /// From now on the stream reads without limit.
    pub fn lift(&self) {
        self.0.store(usize::MAX, Ordering::Release);
    }
}

impl<S> Budgeted<S> {
    pub fn new(inner: S, bytes: usize) -> (Self, Budget) {
        let budget = Budget(Arc::new(AtomicUsize::new(bytes)));
        (
            Budgeted {
                inner,
                budget: budget.clone(),
            },
            budget,
        )
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Budgeted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let left = this.budget.0.load(Ordering::Acquire);
        if left == usize::MAX {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        if left == 0 {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "more sent before the hello than a hello needs",
            )));
        }
        // Read into a small buffer of the budget's size: only a handful of
        // reads happen this way, before the hello.
        let mut scratch = vec![0u8; left.min(buf.remaining())];
        let mut limited = ReadBuf::new(&mut scratch);
        let polled = Pin::new(&mut this.inner).poll_read(cx, &mut limited);
        if let Poll::Ready(Ok(())) = polled {
            let read = limited.filled();
            buf.put_slice(read);
            this.budget.0.fetch_sub(read.len(), Ordering::AcqRel);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Budgeted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn a_full_gate_cuts_off_the_longest_waiting() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let gate = Arc::new(Gate::default());
            for _ in 0..MAX_UNAUTHENTICATED + 3 {
                Gate::admit(&gate, |pass| async move {
                    let _pass = pass;
                    std::future::pending::<()>().await;
                });
            }
            tokio::task::yield_now().await;
            let expected: Vec<u64> = (3..MAX_UNAUTHENTICATED as u64 + 3).collect();
            assert_eq!(gate.waiting(), expected);
            // A connection that says hello gives its place back.
            Gate::admit(&gate, |pass| async move { drop(pass) });
            tokio::task::yield_now().await;
            assert_eq!(gate.waiting().len(), MAX_UNAUTHENTICATED - 1);
        });
    }

    #[test]
    fn a_ping_flood_runs_out_of_allowance() {
        let start = std::time::Instant::now();
        let mut meter = PingMeter::new();
        meter.last = start;
        assert!((0..256).all(|_| meter.allow_at(start)));
        assert!(!meter.allow_at(start));
        // A second later 32 more are allowed.
        let later = start + std::time::Duration::from_secs(1);
        assert!(meter.allow_at(later));
        assert!((0..30).all(|_| meter.allow_at(later)));
    }

    #[test]
    fn reads_stop_at_the_budget_until_it_is_lifted() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (mut far, near) = tokio::io::duplex(64 << 10);
            let (mut stream, budget) = Budgeted::new(near, 10);
            far.write_all(&[7u8; 40]).await.unwrap();
            let mut got = [0u8; 40];
            let n = stream.read(&mut got).await.unwrap();
            assert_eq!(n, 10);
            let spent = stream.read(&mut got).await.unwrap_err();
            assert_eq!(spent.kind(), io::ErrorKind::InvalidData);
            budget.lift();
            let n = stream.read(&mut got).await.unwrap();
            assert_eq!(n, 30);
        });
    }
}
