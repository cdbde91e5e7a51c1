//! The example MDM server: storage, service, push, HTTP handlers and certificate
//! authentication, composed once by `examples/mdm-server/main.rs`.
