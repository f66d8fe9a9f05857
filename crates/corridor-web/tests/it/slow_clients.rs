//! Slow clients: a client that trickles its request headers is cut off after the header read
//! timeout instead of holding its connection, connections beyond the cap are closed on accept,
//! and well-behaved requests are served meanwhile.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::sqlite_server;

/// Reads until the server closes the connection (or answers); how long that took.
async fn time_until_closed(stream: &mut TcpStream) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => continue,
            Err(_) => panic!("the server kept a stalled connection open for 20 s"),
        }
    }
}

#[tokio::test]
async fn stalled_headers_are_cut_off_and_excess_connections_refused() {
    let server = sqlite_server().await;
    let app = corridor_web::app(server.store(), corridor_web::WebConfig::default())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(corridor_web::serve::serve_with_limits(
        listener,
        app,
        async move {
            let _ = stopped.await;
        },
        corridor_web::serve::ServeLimits {
            header_read_timeout: Duration::from_secs(1),
            max_connections: 3,
        },
    ));

    // Half a request line and one header, then silence.
    let mut slow = TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: corridor\r\n")
        .await
        .unwrap();
    let cut_after = time_until_closed(&mut slow).await;
    assert!(
        cut_after < Duration::from_secs(5),
        "cut off after {cut_after:?}"
    );

    // Three stalled connections fill the cap; a fourth is closed at once.
    let mut stalled = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\n")
            .await
            .unwrap();
        stalled.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut excess = TcpStream::connect(address).await.unwrap();
    let refused_after = time_until_closed(&mut excess).await;
    assert!(
        refused_after < Duration::from_millis(800),
        "an excess connection stayed open {refused_after:?}"
    );
    // Once the stalled ones are cut off, requests are served again.
    for stream in &mut stalled {
        time_until_closed(stream).await;
    }
    let healthy = reqwest::get(format!("http://{address}/healthz"))
        .await
        .unwrap();
    assert_eq!(healthy.status(), 200);
    println!("slow clients: stalled headers cut after {cut_after:?}, excess connection closed after {refused_after:?}");

    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
    server.finish().await;
}

/// A client that sends its headers but trickles its body gets 408 when the request timeout
/// runs out, instead of holding a handler (the timeout is shortened to one second here).
#[tokio::test]
async fn a_stalled_body_times_out_with_408() {
    let server = sqlite_server().await;
    let app = corridor_web::app(
        server.store(),
        corridor_web::WebConfig {
            request_timeout: Some(Duration::from_secs(1)),
            ..corridor_web::WebConfig::default()
        },
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(corridor_web::serve(listener, app, async move {
        let _ = stopped.await;
    }));
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/tokens HTTP/1.1\r\nHost: corridor\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    while !answer.windows(4).any(|window| window == b"\r\n\r\n") {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(read)) => answer.extend_from_slice(&buffer[..read]),
            Ok(Err(error)) => panic!("{error}"),
            Err(_) => panic!("no answer to a stalled body within 10 s"),
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
    server.finish().await;
}
