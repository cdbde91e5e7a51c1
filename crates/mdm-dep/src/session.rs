//! Where the session token lives between calls: a small trait a server implements to
//! persist it (so several processes, or a restart, reuse one session).

use std::sync::Mutex;

use crate::error::Error;

/// Keeps the current `X-ADM-Auth-Session` token of one account.
///
/// The client calls [`SessionStore::load`] once before its first request (a stored session
/// saves a `/session` call), and [`SessionStore::store`] after every new or rotated token.
/// Implementations must be cheap and must not call back into the client.
pub trait SessionStore: Send + Sync {
    /// The stored session token, if any.
    ///
    /// # Errors
    /// [`Error::Config`] when the store cannot be read; the client then makes a new session.
    fn load(&self) -> Result<Option<String>, Error>;

    /// Replaces the stored session token.
    ///
    /// # Errors
    /// [`Error::Config`] when the store cannot be written; the call that produced the token
    /// fails with it.
    fn store(&self, session: &str) -> Result<(), Error>;
}

/// A [`SessionStore`] in memory (the client's default when none is given).
#[derive(Default)]
pub struct MemorySessionStore {
    session: Mutex<Option<String>>,
}

impl MemorySessionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl std::fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemorySessionStore { session: <redacted> }")
    }
}

impl SessionStore for MemorySessionStore {
    fn load(&self) -> Result<Option<String>, Error> {
        Ok(self.session.lock().map(|s| s.clone()).unwrap_or_default())
    }

    fn store(&self, session: &str) -> Result<(), Error> {
        if let Ok(mut s) = self.session.lock() {
            *s = Some(session.to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_round_trip() {
        let s = MemorySessionStore::new();
        assert_eq!(s.load().unwrap(), None);
        s.store("abc").unwrap();
        assert_eq!(s.load().unwrap().as_deref(), Some("abc"));
        assert!(!format!("{s:?}").contains("abc"));
    }
}
