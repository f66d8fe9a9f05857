//! The HTTP/1.1 server loop: axum's `serve` without its blind spot for slow clients.
//!
//! `axum::serve` gives hyper no timer, so hyper's header read timeout never fires and a client
//! that trickles its request headers (slowloris) holds a connection for as long as it likes.
//! Here every connection gets hyper's timer: a client must finish its headers within
//! `header_read_timeout`; its body and the handler then fall under the request timeout layer.
//! Connections beyond `max_connections` are closed at once instead of piling up, and shutdown
//! stops accepting, lets the requests in flight finish, then returns.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceExt;

/// Limits on what one client may hold.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Time from a connection's first byte of a request to the end of its headers.
    pub header_read_timeout: Duration,
    /// Open connections at once; more are closed on accept.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 10_000,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits for the connections in
/// flight (each finishes its current request and closes).
pub async fn serve_with_limits(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    limits: ServeLimits,
) -> std::io::Result<()> {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let (stop_sender, stop_receiver) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%remote, "too many open connections; closing a new one");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let mut stop = stop_receiver.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(remote));
                    let app = app.clone();
                    async move {
                        let response = app
                            .oneshot(request.map(axum::body::Body::new))
                            .await
                            .unwrap_or_else(|never: Infallible| match never {});
                        Ok::<_, Infallible>(response)
                    }
                });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let connection = builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, %remote, "connection ended with an error");
                    }
                }
                () = async {
                    // The guard `wait_for` answers must not live across an await.
                    let _ = stop.wait_for(|stopping| *stopping).await.map(|_| ());
                } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.as_mut().await;
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_sender.send(true);
    // Every connection holds a permit until it has closed.
    let _ = permits.acquire_many(limits.max_connections as u32).await;
    Ok(())
}
