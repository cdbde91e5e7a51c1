//! The enrollment profile: a SCEP payload (the device's identity, from this server's
//! `/scep`) and an MDM payload pointing at this server, signed by the server's CA.

use mdm_profiles::{Mdm, MdmServerCapabilitiesItems, Profile, Scep, ScepPayloadContent, UuidMode};
use mdm_signing::{Identity, Signer};

/// What goes into the enrollment profile.
#[derive(Debug, Clone)]
pub struct EnrollmentSettings<'a> {
    /// Base URL devices reach the server at (no trailing slash).
    pub base_url: &'a str,
    /// APNs topic.
    pub topic: &'a str,
    /// SCEP challenge.
    pub challenge: &'a str,
    /// Profile `PayloadIdentifier`.
    pub identifier: &'a str,
    /// `PayloadOrganization`.
    pub organization: &'a str,
}

/// `AccessRights`: every right (bits 1 to 4096).
pub const ALL_ACCESS_RIGHTS: i64 = 8191;

/// Builds the enrollment profile (unsigned XML).
///
/// # Errors
/// When the profile cannot be built or encoded.
pub fn profile_xml(s: &EnrollmentSettings<'_>) -> Result<Vec<u8>, String> {
    // Deterministic UUIDs: the same settings give the same profile on every start.
    let scep_uuid = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("{}/scep", s.base_url).as_bytes(),
    )
    .hyphenated()
    .to_string()
    .to_ascii_uppercase();
    let scep = Scep {
        payload_uuid: Some(scep_uuid.clone()),
        payload_display_name: Some("Device identity (SCEP)".into()),
        payload_content: ScepPayloadContent {
            url: format!("{}/scep", s.base_url),
            name: Some("mdm-server".into()),
            subject: Some(vec![
                vec![vec!["O".into(), s.organization.into()]],
                vec![vec!["CN".into(), "MDM device identity".into()]],
            ]),
            challenge: Some(s.challenge.into()),
            keysize: Some(2048),
            key_type: Some("RSA".into()),
            // digitalSignature (1) + keyEncipherment (4).
            key_usage: Some(5),
            ..ScepPayloadContent::default()
        },
        ..Scep::default()
    };
    let mdm = Mdm {
        payload_display_name: Some("Device management".into()),
        identity_certificate_uuid: scep_uuid,
        topic: s.topic.into(),
        server_url: format!("{}/mdm/connect", s.base_url),
        check_in_url: Some(format!("{}/mdm/checkin", s.base_url)),
        sign_message: Some(true),
        access_rights: Some(ALL_ACCESS_RIGHTS),
        check_out_when_removed: Some(true),
        server_capabilities: Some(vec![MdmServerCapabilitiesItems::ComAppleMdmBootstraptoken]),
        ..Mdm::default()
    };
    let profile = Profile::builder(s.identifier)
        .display_name("MDM enrollment")
        .organization(s.organization)
        .description("Enrolls this device in the example mdm-server.")
        .uuids(UuidMode::Deterministic)
        .payload(scep)
        .payload(mdm)
        .build()
        .map_err(|e| format!("enrollment profile: {e}"))?;
    profile
        .encode()
        .map_err(|e| format!("enrollment profile: {e}"))
}

/// Builds and signs the enrollment profile with `signer` (CMS SignedData, DER).
///
/// # Errors
/// When the profile cannot be built or signed.
pub fn signed_profile(s: &EnrollmentSettings<'_>, signer: &Identity) -> Result<Vec<u8>, String> {
    let xml = profile_xml(s)?;
    let signer = Signer::new(signer.clone()).map_err(|e| format!("signer: {e}"))?;
    signer
        .sign(&xml)
        .map_err(|e| format!("signing the enrollment profile: {e}"))
}
