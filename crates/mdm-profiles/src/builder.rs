//! Making new profiles: [`ProfileBuilder`].

use std::collections::BTreeSet;

use uuid::Uuid;

use crate::{Error, Payload, Profile};

/// How [`ProfileBuilder`] fills a missing `PayloadUUID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UuidMode {
    /// A random (version 4) UUID each time. The default.
    #[default]
    Random,
    /// A name-based (version 5) UUID derived from the identifier, so building the same
    /// profile twice gives the same bytes. Give the profile a new identifier (or set its UUID)
    /// when its content changes, since devices treat an equal UUID as the same profile.
    Deterministic,
}

/// Builds a [`Profile`] with every identifier and UUID filled and none repeated.
///
/// ```
/// use mdm_profiles::{Profile, Wifi, UuidMode};
///
/// let profile = Profile::builder("com.example.wifi")
///     .display_name("Office Wi-Fi")
///     .uuids(UuidMode::Deterministic)
///     .payload(Wifi { ssid_str: Some("Office".into()), ..Default::default() })
///     .build()?;
/// let wifi = &profile.payload_content[0];
/// assert_eq!(wifi.identifier(), Some("com.example.wifi.com.apple.wifi.managed"));
/// assert_eq!(wifi.uuid(), profile.payload_content[0].uuid());
/// assert_eq!(profile.payload_uuid.as_deref().map(str::len), Some(36));
/// # Ok::<(), mdm_profiles::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ProfileBuilder {
    profile: Profile,
    uuids: UuidMode,
}

impl Profile {
    /// Starts a profile with `PayloadIdentifier` `identifier`, `PayloadType` `Configuration`
    /// and `PayloadVersion` 1.
    pub fn builder(identifier: impl Into<String>) -> ProfileBuilder {
        ProfileBuilder {
            profile: Profile {
                payload_identifier: Some(identifier.into()),
                payload_type: Some("Configuration".into()),
                payload_version: Some(1),
                ..Profile::default()
            },
            uuids: UuidMode::Random,
        }
    }
}

impl ProfileBuilder {
    /// `PayloadDisplayName` (default: none).
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.profile.payload_display_name = Some(name.into());
        self
    }

    /// `PayloadDescription` (default: none).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.profile.payload_description = Some(text.into());
        self
    }

    /// `PayloadOrganization` (default: none).
    pub fn organization(mut self, name: impl Into<String>) -> Self {
        self.profile.payload_organization = Some(name.into());
        self
    }

    /// `PayloadScope` (default: none, which macOS reads as [`PayloadScope::User`]).
    pub fn scope(mut self, scope: PayloadScope) -> Self {
        self.profile.payload_scope = Some(scope.as_str().to_owned());
        self
    }

    /// `PayloadRemovalDisallowed` (default: none).
    pub fn removal_disallowed(mut self, yes: bool) -> Self {
        self.profile.payload_removal_disallowed = Some(yes);
        self
    }

    /// `PayloadUUID` of the profile (default: filled according to [`ProfileBuilder::uuids`]).
    pub fn uuid(mut self, uuid: impl Into<String>) -> Self {
        self.profile.payload_uuid = Some(uuid.into());
        self
    }

    /// How missing UUIDs are filled (default [`UuidMode::Random`]).
    pub fn uuids(mut self, mode: UuidMode) -> Self {
        self.uuids = mode;
        self
    }

    /// Lets the caller set any other top-level key.
    pub fn with(mut self, f: impl FnOnce(&mut Profile)) -> Self {
        f(&mut self.profile);
        self
    }

    /// Adds a payload. A missing `PayloadIdentifier` becomes `<profile id>.<PayloadType>`
    /// (with `.2`, `.3`, ... for further payloads of the same type), a missing `PayloadUUID`
    /// is filled per [`ProfileBuilder::uuids`], a missing `PayloadVersion` becomes 1.
    pub fn payload(mut self, payload: impl Into<Payload>) -> Self {
        self.profile.payload_content.push(payload.into());
        self
    }

    /// Fills identifiers and UUIDs and returns the profile.
    ///
    /// # Errors
    /// [`Error::InvalidIdentifier`] when the profile identifier is empty or holds
    /// whitespace; [`Error::Duplicate`] when two payloads (or a payload and the profile) share
    /// a `PayloadIdentifier` or `PayloadUUID`.
    pub fn build(self) -> Result<Profile, Error> {
        let mut profile = self.profile;
        let root = profile.payload_identifier.clone().unwrap_or_default();
        if root.is_empty() || root.chars().any(char::is_whitespace) {
            return Err(Error::InvalidIdentifier(root));
        }
        let make_uuid = |name: &str| {
            match self.uuids {
                UuidMode::Random => Uuid::new_v4(),
                UuidMode::Deterministic => Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes()),
            }
            .hyphenated()
            .to_string()
            .to_ascii_uppercase()
        };
        let mut ids = BTreeSet::from([root.clone()]);
        let mut uuids = BTreeSet::new();
        if profile.payload_uuid.is_none() {
            profile.payload_uuid = Some(make_uuid(&root));
        }
        if let Some(u) = &profile.payload_uuid {
            uuids.insert(u.clone());
        }
        // Caller-given identifiers and UUIDs first, so filled ones never take them.
        for p in &profile.payload_content {
            let c = p.common();
            if let Some(id) = c.identifier
                && !ids.insert(id.to_owned())
            {
                return Err(Error::Duplicate {
                    key: "PayloadIdentifier",
                    value: id.to_owned(),
                });
            }
            if let Some(u) = c.uuid
                && !uuids.insert(u.to_owned())
            {
                return Err(Error::Duplicate {
                    key: "PayloadUUID",
                    value: u.to_owned(),
                });
            }
        }
        for p in &mut profile.payload_content {
            if p.identifier().is_none() {
                let base = format!("{root}.{}", p.payload_type());
                let mut id = base.clone();
                let mut n = 2;
                while ids.contains(&id) {
                    id = format!("{base}.{n}");
                    n += 1;
                }
                ids.insert(id.clone());
                p.set_identifier(id);
            }
            if p.uuid().is_none() {
                let id = p.identifier().unwrap_or_default().to_owned();
                let mut u = make_uuid(&id);
                let mut n = 2;
                while uuids.contains(&u) {
                    u = make_uuid(&format!("{id}#{n}"));
                    n += 1;
                }
                uuids.insert(u.clone());
                p.set_uuid(u);
            }
            if p.common().version.is_none() {
                p.set_version(1);
            }
        }
        Ok(profile)
    }
}

mdm_plist::open_enum! {
    /// Where a macOS profile installs (`PayloadScope`); iOS ignores it.
    pub enum PayloadScope {
        /// The whole machine, for every user.
        System = "System",
        /// The user who installs it.
        User = "User",
    }
}
