//! Profile encryption: `EncryptedPayloadContent`, a CMS EnvelopedData (RFC 5652, section 6)
//! of the profile's `PayloadContent` array serialized as an XML plist.
//!
//! Apple's devices decrypt it with the identity the profile was encrypted to (usually the
//! device identity from enrollment). See
//! <https://developer.apple.com/documentation/devicemanagement/toplevel>.

use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::stack::Stack;
use openssl::symm::Cipher;

use mdm_plist::{Dictionary, Limits, Value};

use crate::error::{Error, crypto, describe};
use crate::keys::{Certificate, Identity};
use crate::signed::MAX_SIGNED_BYTES;

/// Key of the plain payload array in a profile.
pub const PAYLOAD_CONTENT: &str = "PayloadContent";
/// Key of the encrypted payload array in a profile.
pub const ENCRYPTED_PAYLOAD_CONTENT: &str = "EncryptedPayloadContent";

/// The symmetric cipher of the EnvelopedData.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ContentCipher {
    /// AES-256-CBC (the default).
    #[default]
    Aes256Cbc,
    /// AES-128-CBC.
    Aes128Cbc,
    /// Triple-DES CBC, for very old devices only.
    DesEde3Cbc,
}

impl ContentCipher {
    fn openssl(self) -> Cipher {
        match self {
            ContentCipher::Aes256Cbc => Cipher::aes_256_cbc(),
            ContentCipher::Aes128Cbc => Cipher::aes_128_cbc(),
            ContentCipher::DesEde3Cbc => Cipher::des_ede3_cbc(),
        }
    }
}

/// Encrypts `content` to `recipient` as a DER CMS EnvelopedData (key transport for RSA
/// recipients, key agreement for EC recipients).
///
/// # Errors
/// [`Error::Crypto`] when OpenSSL cannot encrypt to that certificate's key.
pub fn encrypt(
    content: &[u8],
    recipient: &Certificate,
    cipher: ContentCipher,
) -> Result<Vec<u8>, Error> {
    let mut certs = Stack::new().map_err(crypto)?;
    certs
        .push(recipient.as_openssl().to_owned())
        .map_err(crypto)?;
    let cms = CmsContentInfo::encrypt(&certs, content, cipher.openssl(), CMSOptions::BINARY)
        .map_err(crypto)?;
    cms.to_der().map_err(crypto)
}

/// Decrypts a CMS EnvelopedData (DER or BER) with `identity`.
///
/// # Errors
/// [`Error::TooLarge`], [`Error::Malformed`] for bytes that are not CMS, and
/// [`Error::Decrypt`] when the identity is not a recipient or the ciphertext is damaged.
pub fn decrypt(enveloped: &[u8], identity: &Identity) -> Result<Vec<u8>, Error> {
    if enveloped.len() > MAX_SIGNED_BYTES {
        return Err(Error::TooLarge {
            len: enveloped.len(),
            limit: MAX_SIGNED_BYTES,
        });
    }
    let cms = CmsContentInfo::from_der(enveloped).map_err(|e| Error::Malformed(describe(&e)))?;
    cms.decrypt(
        identity.key().as_openssl(),
        &identity.certificate().as_openssl().to_owned(),
    )
    .map_err(|e| Error::Decrypt(describe(&e)))
}

/// Replaces a profile's `PayloadContent` array with `EncryptedPayloadContent` encrypted to
/// `recipient` (AES-256-CBC) and returns the new profile as an XML plist. The other
/// top-level keys are kept as they were.
///
/// # Errors
/// [`Error::Profile`] when the input is not a profile plist with a `PayloadContent` array,
/// and as [`encrypt`].
pub fn encrypt_payloads(profile: &[u8], recipient: &Certificate) -> Result<Vec<u8>, Error> {
    encrypt_payloads_with(profile, recipient, ContentCipher::default())
}

/// As [`encrypt_payloads`] with a chosen cipher.
///
/// # Errors
/// As [`encrypt_payloads`].
pub fn encrypt_payloads_with(
    profile: &[u8],
    recipient: &Certificate,
    cipher: ContentCipher,
) -> Result<Vec<u8>, Error> {
    let mut dict = profile_dict(profile)?;
    let payloads = dict
        .remove(PAYLOAD_CONTENT)
        .ok_or_else(|| Error::Profile("no PayloadContent to encrypt".to_owned()))?;
    if !matches!(payloads, Value::Array(_)) {
        return Err(Error::Profile("PayloadContent is not an array".to_owned()));
    }
    if dict.contains_key(ENCRYPTED_PAYLOAD_CONTENT) {
        return Err(Error::Profile(
            "profile already has EncryptedPayloadContent".to_owned(),
        ));
    }
    let plain = mdm_plist::to_xml_bytes(&payloads).map_err(|e| Error::Profile(e.to_string()))?;
    let enveloped = encrypt(&plain, recipient, cipher)?;
    dict.insert(ENCRYPTED_PAYLOAD_CONTENT.to_owned(), Value::Data(enveloped));
    mdm_plist::to_xml_bytes(&Value::Dictionary(dict)).map_err(|e| Error::Profile(e.to_string()))
}

/// Opens a profile's `EncryptedPayloadContent` with `identity`, puts the decrypted array
/// back as `PayloadContent` and returns the profile as an XML plist.
///
/// # Errors
/// [`Error::Profile`] when the input or the decrypted content is not the expected plist,
/// and as [`decrypt`].
pub fn decrypt_payloads(profile: &[u8], identity: &Identity) -> Result<Vec<u8>, Error> {
    let mut dict = profile_dict(profile)?;
    let Some(Value::Data(enveloped)) = dict.remove(ENCRYPTED_PAYLOAD_CONTENT) else {
        return Err(Error::Profile(
            "no EncryptedPayloadContent data to decrypt".to_owned(),
        ));
    };
    let plain = decrypt(&enveloped, identity)?;
    let payloads = mdm_plist::value_from_xml_bytes(&plain, &Limits::default())
        .map_err(|e| Error::Profile(format!("decrypted content: {e}")))?;
    if !matches!(payloads, Value::Array(_)) {
        return Err(Error::Profile(
            "decrypted content is not an array of payloads".to_owned(),
        ));
    }
    dict.insert(PAYLOAD_CONTENT.to_owned(), payloads);
    mdm_plist::to_xml_bytes(&Value::Dictionary(dict)).map_err(|e| Error::Profile(e.to_string()))
}

fn profile_dict(profile: &[u8]) -> Result<Dictionary, Error> {
    match mdm_plist::value_from_xml_bytes(profile, &Limits::default()) {
        Ok(Value::Dictionary(d)) => Ok(d),
        Ok(_) => Err(Error::Profile("top level is not a dictionary".to_owned())),
        Err(e) => Err(Error::Profile(e.to_string())),
    }
}
