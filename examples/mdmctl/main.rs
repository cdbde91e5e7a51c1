//! `mdmctl`: a command-line tool over the workspace crates.
//!
//! ```text
//! mdmctl inspect checkin FILE      decode a check-in message and print it as JSON
//! mdmctl inspect command FILE      decode a command and print its type and fields as JSON
//! mdmctl inspect response FILE [--request-type T]   decode a command response (typed body with T)
//! mdmctl inspect profile FILE [--validate [--platform P --version V]]   decode a configuration profile
//! mdmctl profile sign|verify|encrypt|decrypt ...   CMS operations on profiles (see profile.rs)
//! mdmctl push --cert C --key K --token HEX --magic M ...   wake a device through APNs (see push.rs)
//! mdmctl scep caps URL | scep enroll --url URL --challenge S --cn NAME ...   SCEP client (see scep.rs)
//! mdmctl inspect scep FILE [--key K --cert C]   decode a SCEP PKIMessage
//! mdmctl dep ... | vpp ... | axm ...   Device Assignment, Apps and Books, School/Business Manager API (see dep.rs, vpp.rs, axm.rs)
//! mdmctl inspect declaration FILE  decode a declarative-management declaration
//! mdmctl inspect status FILE       decode a declarative-management status report
//! ```
//!
//! `FILE` may be `-` for stdin. Every verb exits 0 on success, or prints one line on stderr
//! and exits 1. No input makes it panic.
#![forbid(unsafe_code)]
#![allow(clippy::print_stderr)]

mod axm;
mod checkin;
mod commands;
mod declarative;
mod dep;
mod inspect;
mod profile;
mod profile_inspect;
mod push;
mod scep;
mod vpp;

use mdm_examples::{Args, CliError};

const USAGE: &str = "usage: mdmctl inspect checkin FILE\n       mdmctl inspect command FILE\n       mdmctl inspect response FILE [--request-type T]\n       mdmctl inspect profile FILE [--validate [--platform P --version V]]\n       mdmctl profile sign|verify|encrypt|decrypt ...\n       mdmctl push (--cert C --key K | --p12 F) --token HEX --magic M [--topic T] [--endpoint URL] [--ca F] [--count N]\n       mdmctl scep caps URL\n       mdmctl scep enroll --url URL [--challenge S] --cn NAME [--key K] --out-cert C --out-key K [--allow-des]\n       mdmctl inspect scep FILE [--key K --cert C]\n       mdmctl dep|vpp|axm VERB ... (see mdmctl axm for its verbs)\n       mdmctl inspect declaration FILE\n       mdmctl inspect status FILE";

fn run(mut argv: Vec<String>) -> Result<(), CliError> {
    if argv.is_empty() {
        return Err(USAGE.into());
    }
    let verb = argv.remove(0);
    let args = Args::new(argv);
    match verb.as_str() {
        "inspect" => inspect::run(args),
        "profile" => profile::run(args),
        "push" => push::run(args),
        "scep" => scep::run(args),
        "dep" => dep::run(args),
        "vpp" => vpp::run(args),
        "axm" => axm::run(args),
        "-h" | "--help" | "help" => Err(USAGE.into()),
        other => Err(CliError(format!("unknown verb {other:?}; {USAGE}"))),
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(argv) {
        eprintln!("mdmctl: {e}");
        std::process::exit(1);
    }
}
