//! The HTTP clients: one for API calls, and one with a cookie jar that does not follow
//! redirects, for driving the sign-in forms.

use std::time::Duration;

use super::error::ClientError;

const USER_AGENT: &str = concat!("carin-sandbox-client/", env!("CARGO_PKG_VERSION"));

/// The shared HTTP client (blocking; never use it inside an async runtime).
pub struct Http {
    plain: reqwest::blocking::Client,
}

impl Http {
    pub fn new() -> Result<Http, ClientError> {
        let plain = builder()
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| ClientError::Usage(format!("cannot set up HTTP: {e}")))?;
        Ok(Http { plain })
    }

    pub fn plain(&self) -> &reqwest::blocking::Client {
        &self.plain
    }

    /// A fresh client with its own cookie jar that hands redirects back to the caller.
    pub fn browser_like() -> Result<reqwest::blocking::Client, ClientError> {
        builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .map_err(|e| ClientError::Usage(format!("cannot set up HTTP: {e}")))
    }
}

fn builder() -> reqwest::blocking::ClientBuilder {
    reqwest::blocking::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
}
