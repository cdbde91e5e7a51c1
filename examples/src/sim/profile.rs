//! Reading profiles the way a device does: the enrollment profile (signed, with an MDM and a
//! SCEP payload) and the profiles `InstallProfile` delivers.

use mdm_profiles::{Mdm, Payload, Profile, Scep, Wrapping};
use mdm_signing::{Certificate, Identity, TrustPolicy};

use super::error::{SimError, Step};

/// One payload of an installed profile, as `ProfileList` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadSummary {
    /// `PayloadType`.
    pub payload_type: String,
    /// `PayloadIdentifier`.
    pub identifier: Option<String>,
    /// `PayloadUUID`.
    pub uuid: Option<String>,
    /// `PayloadVersion`.
    pub version: Option<i64>,
    /// `PayloadDisplayName`.
    pub display_name: Option<String>,
    /// `PayloadDescription`.
    pub description: Option<String>,
    /// `PayloadOrganization`.
    pub organization: Option<String>,
}

/// A profile the device has installed.
#[derive(Debug, Clone, PartialEq)]
pub struct InstalledProfile {
    /// `PayloadIdentifier` of the profile: what `RemoveProfile` names.
    pub identifier: String,
    /// `PayloadUUID`.
    pub uuid: Option<String>,
    /// `PayloadVersion`.
    pub version: Option<i64>,
    /// `PayloadDisplayName`.
    pub display_name: Option<String>,
    /// `PayloadDescription`.
    pub description: Option<String>,
    /// `PayloadOrganization`.
    pub organization: Option<String>,
    /// `PayloadRemovalDisallowed`.
    pub removal_disallowed: bool,
    /// The payloads were delivered encrypted.
    pub encrypted: bool,
    /// Installed through MDM (`InstallProfile`) rather than by the user.
    pub managed: bool,
    /// DER of the certificates that signed it (empty when unsigned).
    pub signer_certificates: Vec<Vec<u8>>,
    /// Its payloads.
    pub payloads: Vec<PayloadSummary>,
}

impl InstalledProfile {
    /// Summarizes a decoded profile.
    ///
    /// # Errors
    /// [`SimError::Profile`] when the profile has no `PayloadIdentifier`.
    pub fn from_profile(
        profile: &Profile,
        signer: Option<&Certificate>,
        encrypted: bool,
        managed: bool,
    ) -> Result<Self, SimError> {
        let identifier = profile
            .payload_identifier
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| SimError::Profile("the profile has no PayloadIdentifier".to_owned()))?;
        let payloads = profile
            .payloads()
            .iter()
            .map(|p| {
                let c = p.common();
                PayloadSummary {
                    payload_type: p.payload_type().to_owned(),
                    identifier: c.identifier.map(str::to_owned),
                    uuid: c.uuid.map(str::to_owned),
                    version: c.version,
                    display_name: c.display_name.map(str::to_owned),
                    description: c.description.map(str::to_owned),
                    organization: c.organization.map(str::to_owned),
                }
            })
            .collect();
        Ok(InstalledProfile {
            identifier,
            uuid: profile.payload_uuid.clone(),
            version: profile.payload_version,
            display_name: profile.payload_display_name.clone(),
            description: profile.payload_description.clone(),
            organization: profile.payload_organization.clone(),
            removal_disallowed: profile.payload_removal_disallowed.unwrap_or(false),
            encrypted,
            managed,
            signer_certificates: signer.and_then(|c| c.to_der().ok()).into_iter().collect(),
            payloads,
        })
    }
}

/// The enrollment profile, verified and read.
#[derive(Debug, Clone)]
pub struct EnrollmentProfile {
    /// The decoded profile.
    pub profile: Profile,
    /// The certificate that signed it (`None` when unsigned profiles are allowed and this one
    /// was).
    pub signer: Option<Certificate>,
    /// The MDM payload.
    pub mdm: Mdm,
    /// The SCEP payload the MDM payload's `IdentityCertificateUUID` names.
    pub scep: Scep,
}

impl EnrollmentProfile {
    /// Verifies and reads enrollment profile bytes.
    ///
    /// A signed profile is verified with `policy`; an unsigned one is refused unless
    /// `allow_unsigned`. The profile must hold exactly one `com.apple.mdm` payload whose
    /// `IdentityCertificateUUID` is the `PayloadUUID` of a `com.apple.security.scep` payload.
    ///
    /// # Errors
    /// [`SimError::Signing`] when the signature does not verify, [`SimError::Profile`] when
    /// the profile is not an enrollment profile.
    pub fn read(
        bytes: &[u8],
        policy: &TrustPolicy,
        allow_unsigned: bool,
    ) -> Result<Self, SimError> {
        let (plain, signer) = match mdm_profiles::wrapping(bytes) {
            Wrapping::Signed => {
                let verified =
                    mdm_signing::verify(bytes, policy).map_err(|source| SimError::Signing {
                        step: Step::Profile,
                        source,
                    })?;
                let signer = verified.signer().clone();
                (verified.into_content(), Some(signer))
            }
            _ if allow_unsigned => (bytes.to_vec(), None),
            _ => {
                return Err(SimError::Profile(
                    "the enrollment profile is not signed (allow unsigned profiles to accept it)"
                        .to_owned(),
                ));
            }
        };
        let decoded = mdm_profiles::Decoded::decode(&plain)
            .map_err(|e| SimError::Profile(format!("cannot decode the profile: {e}")))?;
        let profile = decoded.profile;
        let mut mdms = Vec::new();
        let mut sceps = Vec::new();
        for p in profile.payloads() {
            match p {
                Payload::Mdm(m) => mdms.push(m.clone()),
                Payload::Scep(s) => sceps.push(s.clone()),
                other if other.payload_type() == "com.apple.mdm" => {
                    return Err(SimError::Profile(
                        "the com.apple.mdm payload does not fit its schema".to_owned(),
                    ));
                }
                other if other.payload_type() == "com.apple.security.scep" => {
                    return Err(SimError::Profile(
                        "a com.apple.security.scep payload does not fit its schema".to_owned(),
                    ));
                }
                _ => {}
            }
        }
        let mdm = match mdms.as_slice() {
            [one] => one.clone(),
            [] => return Err(SimError::Profile("no com.apple.mdm payload".to_owned())),
            _ => {
                return Err(SimError::Profile(
                    "more than one com.apple.mdm payload".to_owned(),
                ));
            }
        };
        let scep = sceps
            .into_iter()
            .find(|s| s.payload_uuid.as_deref() == Some(mdm.identity_certificate_uuid.as_str()))
            .ok_or_else(|| {
                SimError::Profile(format!(
                    "IdentityCertificateUUID {} names no com.apple.security.scep payload",
                    mdm.identity_certificate_uuid
                ))
            })?;
        if mdm.server_url.is_empty() {
            return Err(SimError::Profile("empty ServerURL".to_owned()));
        }
        if scep.payload_content.url.is_empty() {
            return Err(SimError::Profile("empty SCEP URL".to_owned()));
        }
        Ok(EnrollmentProfile {
            profile,
            signer,
            mdm,
            scep,
        })
    }

    /// Where check-in messages go: `CheckInURL`, or `ServerURL` when it is absent.
    pub fn checkin_url(&self) -> &str {
        self.mdm
            .check_in_url
            .as_deref()
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.mdm.server_url)
    }
}

/// Why the device refused a command (a profile it cannot install, a profile it does not
/// have), as it reports it in its error chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `ErrorCode`.
    pub code: i64,
    /// `ErrorDomain`.
    pub domain: &'static str,
    /// `USEnglishDescription`.
    pub message: String,
}

/// Error domain of profile problems in the simulator's error chains.
pub const PROFILE_ERROR_DOMAIN: &str = "MCProfileErrorDomain";
/// Code the simulator uses for a payload that is not a readable profile.
pub const MALFORMED_PROFILE: i64 = 1000;
/// Code the simulator uses for a signed payload whose signature does not verify.
pub const BAD_SIGNATURE: i64 = 1012;
/// Code the simulator uses for encrypted payloads it cannot decrypt.
pub const CANNOT_DECRYPT: i64 = 1016;

/// Reads an `InstallProfile` payload as a device would: a signed profile is verified
/// (signature only: the simulator trusts any signer, as a device does after the user accepts
/// an unverified profile), encrypted payloads are decrypted with the device identity, and
/// the result is decoded.
///
/// # Errors
/// A [`Refusal`] saying why the device refuses the profile.
pub fn read_installable(
    payload: &[u8],
    identity: Option<&Identity>,
) -> Result<InstalledProfile, Refusal> {
    let refuse = |code: i64, message: String| Refusal {
        code,
        domain: PROFILE_ERROR_DOMAIN,
        message,
    };
    let (plain, signer) = match mdm_profiles::wrapping(payload) {
        Wrapping::Signed => {
            let verified =
                mdm_signing::verify(payload, &TrustPolicy::signature_only()).map_err(|e| {
                    refuse(
                        BAD_SIGNATURE,
                        format!("The profile signature is invalid: {e}"),
                    )
                })?;
            let signer = verified.signer().clone();
            (verified.into_content(), Some(signer))
        }
        _ => (payload.to_vec(), None),
    };
    let (decoded, encrypted) = match mdm_profiles::Decoded::decode(&plain) {
        Ok(d) => (d, false),
        Err(mdm_profiles::Error::Encrypted) => {
            let Some(identity) = identity else {
                return Err(refuse(
                    CANNOT_DECRYPT,
                    "The profile is encrypted and the device has no identity".to_owned(),
                ));
            };
            let clear = mdm_signing::decrypt_payloads(&plain, identity).map_err(|e| {
                refuse(
                    CANNOT_DECRYPT,
                    format!("The profile could not be decrypted: {e}"),
                )
            })?;
            let d = mdm_profiles::Decoded::decode(&clear)
                .map_err(|e| refuse(MALFORMED_PROFILE, format!("The profile is malformed: {e}")))?;
            (d, true)
        }
        Err(e) => {
            return Err(refuse(
                MALFORMED_PROFILE,
                format!("The profile is malformed: {e}"),
            ));
        }
    };
    InstalledProfile::from_profile(&decoded.profile, signer.as_ref(), encrypted, true)
        .map_err(|e| refuse(MALFORMED_PROFILE, format!("The profile is malformed: {e}")))
}
