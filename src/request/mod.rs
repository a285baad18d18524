//! One request, read once ([`Request::read`]) into typed values that the
//! decision, the pull session challenge, the rate limit answer, the reply
//! and the record all take: nothing after this reads the path again.

pub mod client;
pub mod credentials;
pub mod host;
pub mod raw;
pub mod route;

pub use credentials::{Credentials, Session};
pub use raw::{Coordinates, RawRequest};
pub use route::{Kind, Page, Route};

use crate::places::{Location, RangeTables};
use std::net::IpAddr;

/// The request method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method<'a> {
    Get,
    Head,
    /// Anything else, as received (`get` and `BREW` included).
    Other(&'a str),
}

impl<'a> Method<'a> {
    pub fn read(method: &'a str) -> Method<'a> {
        match method {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            other => Method::Other(other),
        }
    }

    pub fn as_str(self) -> &'a str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Other(other) => other,
        }
    }
}

/// Who asks, as far as the edge tells.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Client {
    /// [`client::client_address`]; never logged.
    pub address: Option<IpAddr>,
    /// The address's cloud and region, per the range tables.
    pub location: Option<Location>,
    /// Where the edge places the request (`request.cf`).
    pub coordinates: Option<Coordinates>,
}

/// One request, read.
#[derive(Clone, Debug, PartialEq)]
pub struct Request<'a> {
    pub method: Method<'a>,
    /// `https` at the edge.
    pub scheme: &'a str,
    /// The URL's host as received, possibly with `:port`.
    pub host: &'a str,
    /// The path as received: the legacy host redirect passes it on verbatim.
    pub path: &'a str,
    /// Without the `?`; empty when there is none.
    pub query: &'a str,
    pub route: Route<'a>,
    pub client: Client,
    pub credentials: Credentials,
}

impl<'a> Request<'a> {
    /// Reads `raw`; `tables` place the client's address (the worker passes
    /// the compiled [`crate::places::TABLES`]).
    pub fn read(raw: &'a RawRequest, tables: &RangeTables<'_>) -> Request<'a> {
        let address = client::client_address(raw.client_ip.as_deref(), raw.client_ipv6.as_deref());
        Request {
            method: Method::read(&raw.method),
            scheme: &raw.scheme,
            host: &raw.host,
            path: &raw.path,
            query: &raw.query,
            route: Route::read(&raw.path, &raw.query),
            client: Client {
                address,
                location: address.and_then(|ip| tables.lookup(ip)),
                coordinates: raw.coordinates,
            },
            credentials: Credentials::read(raw.authorization.as_deref()),
        }
    }

    pub fn kind(&self) -> Kind {
        self.route.kind()
    }
}
