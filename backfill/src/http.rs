//! The HTTPS client artflow calls out with (hyper over rustls, the system's root certificates,
//! plain `http://` allowed for local servers): the Jira REST calls here, and `artflow replay
//! --to`'s posts.

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A request body: the whole of it in memory.
pub type Body = Full<Bytes>;

pub type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>;

/// A client for `https://` and `http://` URLs. Fails only when the system's root
/// certificates cannot be loaded.
pub fn https_client() -> Result<HttpsClient, std::io::Error> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(https))
}
