//! Payloads with required keys are built with `new(required...)`, and a profile of them
//! survives encode and decode unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use mdm_profiles::{
    Data, Font, Mail, MailEmailAccountType, MailIncomingMailServerAuthentication,
    MailOutgoingMailServerAuthentication, Payload, PemCertificate, Pkcs1Certificate, Profile,
    Severity, WebClip,
};

#[test]
fn new_takes_the_required_keys_and_leaves_the_rest_empty() {
    let pem = PemCertificate::new(Data::new(b"-----BEGIN CERTIFICATE-----".to_vec()));
    assert!(pem.payload_identifier.is_none());
    assert!(pem.payload_certificate_file_name.is_none());
    assert!(pem.extra.is_empty());

    let clip = WebClip::new("https://example.com/", "Example");
    assert_eq!(clip.url, "https://example.com/");
    assert_eq!(clip.label, "Example");
    assert!(clip.is_removable.is_none());
}

#[test]
fn a_profile_of_constructed_payloads_round_trips() {
    let mut mail = Mail::new(
        MailEmailAccountType::EmailTypeIMAP,
        MailIncomingMailServerAuthentication::EmailAuthPassword,
        "imap.example.com",
        MailOutgoingMailServerAuthentication::EmailAuthPassword,
        "smtp.example.com",
    );
    mail.incoming_mail_server_port_number = Some(993);
    let payloads: Vec<Payload> = vec![
        PemCertificate::new(Data::new(b"pem bytes".to_vec())).into(),
        Pkcs1Certificate::new(Data::new(vec![0x30, 0x82, 0x01, 0x0a])).into(),
        Font::new(Data::new(vec![0, 1, 0, 0])).into(),
        WebClip::new("https://example.com/", "Example").into(),
        mail.into(),
    ];
    let mut builder = Profile::builder("com.example.constructors").display_name("Constructors");
    for p in payloads {
        builder = builder.payload(p);
    }
    let profile = builder.build().unwrap();
    let errors: Vec<_> = mdm_profiles::validate(&profile)
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    let bytes = profile.encode().unwrap();
    let back = Profile::decode(&bytes).unwrap();
    assert_eq!(back, profile);
    let Payload::Mail(mail) = &back.payload_content[4] else {
        panic!("not mail: {:?}", back.payload_content[4]);
    };
    assert_eq!(mail.incoming_mail_server_host_name, "imap.example.com");
    assert_eq!(mail.incoming_mail_server_port_number, Some(993));
}
