//! The simulator helper serves the bundled example site on loopback.

use std::io::{Read, Write};
use std::net::TcpStream;

use autoexpose_testkit::{example_site, example_site_data};

#[test]
fn example_site_data_is_site_acme() {
    let data = example_site_data();
    let acme = data.sites.iter().find(|s| s.content_url == "acme");
    assert!(acme.is_some_and(|s| !s.projects.is_empty()), "{data:?}");
}

#[tokio::test]
async fn example_site_answers_serverinfo_on_loopback() {
    let sim = example_site().await;
    assert_eq!(sim.site("acme").map(|s| s.content_url), Some("acme".into()));
    let addr = sim.addr();
    assert!(addr.ip().is_loopback(), "{addr}");
    // A plain HTTP request, so the testkit needs no HTTP client of its own.
    let reply = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        let request = format!(
            "GET /api/3.25/serverinfo HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).expect("send");
        let mut reply = String::new();
        stream.read_to_string(&mut reply).expect("read");
        reply
    })
    .await
    .expect("request thread");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
}
