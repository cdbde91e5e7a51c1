//! Rust names from Apple's key names, with Apple's acronyms kept whole.
//!
//! Apple spells keys in camel case with acronyms inside (`QoSMarkingPolicy`, `EnableIPv6`,
//! `SupportsiOSAppInstalls`, `VPNUUID`, `RoamingConsortiumOIs`). Splitting at every case
//! change gives `qo_s_marking_policy`; splitting only before an upper-case letter that starts
//! a lower-case run gives `vpnuuid`. [`words`] does better with two small tables:
//!
//! - [`SPELLINGS`]: acronyms that mix cases (`iOS`, `IPv6`, `QoS`, `WiFi`, `OAuth`), each one
//!   word wherever it appears, even right after a lower-case letter (`SupportsiOS`);
//! - [`ACRONYMS`]: upper-case acronyms, used to cut a run of capitals into words
//!   (`VPNUUID` -> `VPN` `UUID`, `PPDURL` -> `PPD` `URL`) when the whole run is made of them.
//!
//! A run of capitals followed by a lone `s` is a plural acronym (`IDs`, `URLs`, `UUIDs`).
//! Digits stay with the word before them (`HTTP2`, `Policy2`).
//!
//! [`snake`] joins the words in lower case for fields (`qos_marking_policy`, `enable_ipv6`,
//! `wifi_mac`, `udid`); [`upper_camel`] capitalizes each word for types, acronyms counting as
//! one word as Rust's naming guidelines ask (`DnsSettings`, `OsUpdateStatus`), and splits the
//! run-together lower-case words of payload types with [`COMPOUNDS`]
//! (`configurationprofile` -> `ConfigurationProfile`). Serde names never change: they are
//! the keys themselves.

/// Acronyms in mixed case, each kept as one word (longest first where one starts another).
pub const SPELLINGS: &[&str] = &[
    "MSCHAPv2", "CardDAV", "CalDAV", "WebDAV", "XProtect", "iBeacon", "iTunes", "ITunes", "iCloud",
    "iChat", "iPadOS", "iPhone", "iPad", "iPod", "macOS", "MacOS", "tvOS", "watchOS", "visionOS",
    "iOS", "eSIM", "IPv4", "IPv6", "IKEv1", "IKEv2", "IPSec", "OAuth", "XAuth", "PPPoE", "IrDA",
    "WiFi", "QoS", "dNS",
];

/// Upper-case acronyms Apple's keys run together (`VPNUUID`, `SIMMCC`, `ProxyPACURL`).
pub const ACRONYMS: &[&str] = &[
    "AD", "AE", "AIM", "APN", "APNS", "ARD", "CA", "CCP", "CPU", "DC", "DDNS", "DEP", "DLC", "DNS",
    "EAP", "EAS", "FAST", "FDE", "FTP", "FV", "GID", "GGID", "GK", "GUID", "HTTP", "HTTPS", "IBSS",
    "ICCID", "ID", "IKE", "IMAP", "IMEI", "IP", "KDC", "LDAP", "LOM", "MA", "MAC", "MB", "MCC",
    "MCX", "MDM", "MEID", "MNC", "MPPE", "MTU", "NAI", "NAT", "NFC", "NR", "NS", "OS", "OTA",
    "PAC", "PEM", "PFS", "PIN", "PKI", "PPD", "PPK", "PPP", "RAND", "RCS", "RTF", "RTSP", "SHK",
    "SIM", "SMB", "SMIME", "SOCKS", "SSID", "SSL", "SSO", "TCC", "TGT", "TLS", "TTLS", "TV",
    "UDID", "UI", "UID", "UNC", "URI", "URL", "USB", "UUID", "VPN", "VPP", "XLAT",
];

/// Lower-case words run together in payload types and keys, and how they split
/// (used for type names only; fields keep Apple's word as it is).
pub const COMPOUNDS: &[(&str, &str)] = &[
    ("airplay", "AirPlay"),
    ("airprint", "AirPrint"),
    ("applayer", "AppLayer"),
    ("appmapping", "AppMapping"),
    ("appstore", "AppStore"),
    ("caldav", "CalDav"),
    ("carddav", "CardDav"),
    ("cellularprivatenetwork", "CellularPrivateNetwork"),
    ("certificatepreference", "CertificatePreference"),
    ("certificaterevocation", "CertificateRevocation"),
    ("certificatetransparency", "CertificateTransparency"),
    ("conferenceroomdisplay", "ConferenceRoomDisplay"),
    ("configurationprofile", "ConfigurationProfile"),
    ("contentfilter", "ContentFilter"),
    ("extensiblesso", "ExtensibleSso"),
    ("familycontrols", "FamilyControls"),
    ("fileproviderd", "FileProvider"),
    ("firstactiveethernet", "FirstActiveEthernet"),
    ("firstethernet", "FirstEthernet"),
    ("globalethernet", "GlobalEthernet"),
    ("globalpreferences", "GlobalPreferences"),
    ("homescreenlayout", "HomeScreenLayout"),
    ("identitypreference", "IdentityPreference"),
    ("loginitems", "LoginItems"),
    ("loginwindow", "LoginWindow"),
    ("mcxloginscripts", "McxLoginScripts"),
    ("mcxprinting", "McxPrinting"),
    ("networkusagerules", "NetworkUsageRules"),
    ("notificationsettings", "NotificationSettings"),
    ("osxserver", "OsxServer"),
    ("screensaver", "ScreenSaver"),
    ("secondactiveethernet", "SecondActiveEthernet"),
    ("secondethernet", "SecondEthernet"),
    ("servicemanagement", "ServiceManagement"),
    ("shareddeviceconfiguration", "SharedDeviceConfiguration"),
    ("smartcard", "SmartCard"),
    ("subscribedcalendar", "SubscribedCalendar"),
    ("syspolicy", "SysPolicy"),
    ("systemmigration", "SystemMigration"),
    ("systempolicy", "SystemPolicy"),
    ("systempreferences", "SystemPreferences"),
    ("systemuiserver", "SystemUiServer"),
    ("thirdactiveethernet", "ThirdActiveEthernet"),
    ("thirdethernet", "ThirdEthernet"),
    ("timelimits", "TimeLimits"),
    ("tvremote", "TvRemote"),
    ("universalaccess", "UniversalAccess"),
    ("webcontent", "WebContent"),
];

/// Splits an Apple key into words: separators (`-`, `.`, `_`, spaces) cut, camel case
/// cuts, acronyms stay whole (see the module docs).
pub fn words(s: &str) -> Vec<String> {
    let s = s.replace("Wi-Fi", "WiFi");
    let mut out = Vec::new();
    for chunk in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        chunk_words(chunk, &mut out);
    }
    out
}

fn chunk_words(chunk: &str, out: &mut Vec<String>) {
    let b = chunk.as_bytes();
    let n = b.len();
    // A word may end at `k` when the chunk ends there or a capital or digit follows.
    let ends_at = |k: usize| {
        b.get(k)
            .is_none_or(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    let mut i = 0;
    while i < n {
        let rest = chunk.get(i..).unwrap_or_default();
        let mid_word = i > 0 && b.get(i - 1).is_some_and(u8::is_ascii_lowercase);
        let spelling = SPELLINGS.iter().find(|sp| {
            rest.starts_with(**sp)
                && ends_at(i + sp.len())
                && (!mid_word
                    || sp.starts_with(|c: char| c.is_ascii_uppercase())
                    || starts_mid_word(sp))
        });
        if let Some(sp) = spelling {
            out.push((*sp).to_owned());
            i += sp.len();
        } else if b.get(i).is_some_and(u8::is_ascii_digit) {
            let j = run(b, i, u8::is_ascii_digit);
            let digits = chunk.get(i..j).unwrap_or_default();
            match out.last_mut() {
                Some(w) if i > 0 => w.push_str(digits),
                _ => out.push(digits.to_owned()),
            }
            i = j;
        } else if b.get(i).is_some_and(u8::is_ascii_uppercase) {
            let j = run(b, i, u8::is_ascii_uppercase);
            if j - i >= 2 && b.get(j) == Some(&b's') && ends_at(j + 1) {
                // A plural acronym: `IDs`, `URLs`, `UUIDs`.
                out.push(chunk.get(i..=j).unwrap_or_default().to_owned());
                i = j + 1;
            } else if b.get(j).is_some_and(u8::is_ascii_lowercase) {
                // `HTTPProxy`: the last capital starts the next word.
                if j - i >= 2 {
                    split_capitals(chunk.get(i..j - 1).unwrap_or_default(), out);
                }
                let k = lower_run_end(chunk, j);
                out.push(chunk.get(j - 1..k).unwrap_or_default().to_owned());
                i = k;
            } else {
                split_capitals(chunk.get(i..j).unwrap_or_default(), out);
                i = j;
            }
        } else {
            let k = lower_run_end(chunk, i);
            out.push(chunk.get(i..k).unwrap_or_default().to_owned());
            i = k;
        }
    }
}

/// Whether a spelling may start right after a lower-case letter: only Apple's `iOS` /
/// `iCloud` / `eSIM` shape (`i` or `e`, then a capital), so `Supports|iOS` and
/// `Using|iCloud` split but `Consortium|OIs` is never read as something else.
fn starts_mid_word(spelling: &str) -> bool {
    let b = spelling.as_bytes();
    matches!(b.first(), Some(b'i' | b'e')) && b.get(1).is_some_and(u8::is_ascii_uppercase)
}

/// The end of the run of `pred` bytes starting at `i`.
fn run(b: &[u8], i: usize, pred: fn(&u8) -> bool) -> usize {
    let mut j = i;
    while b.get(j).is_some_and(pred) {
        j += 1;
    }
    j
}

/// The end of a lower-case run starting at `i`, stopping early where a mixed-case spelling
/// such as `iOS` begins inside it.
fn lower_run_end(chunk: &str, i: usize) -> usize {
    let b = chunk.as_bytes();
    let mut k = i + 1;
    while b.get(k).is_some_and(u8::is_ascii_lowercase) {
        let rest = chunk.get(k..).unwrap_or_default();
        let starts = SPELLINGS.iter().any(|sp| {
            starts_mid_word(sp)
                && rest.starts_with(*sp)
                && b.get(k + sp.len())
                    .is_none_or(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        });
        if starts {
            break;
        }
        k += 1;
    }
    k
}

/// Cuts a run of capitals into [`ACRONYMS`] when it is made of them entirely (fewest pieces
/// first); otherwise keeps it as one word.
fn split_capitals(run: &str, out: &mut Vec<String>) {
    if run.is_empty() {
        return;
    }
    if ACRONYMS.contains(&run) || run.len() > 24 {
        out.push(run.to_owned());
        return;
    }
    // best[k]: the fewest acronyms covering run[..k], and where the last one starts.
    let n = run.len();
    let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
    if let Some(b0) = best.first_mut() {
        *b0 = Some((0, 0));
    }
    for end in 1..=n {
        for start in 0..end {
            let Some(Some((count, _))) = best.get(start).copied() else {
                continue;
            };
            let Some(piece) = run.get(start..end) else {
                continue;
            };
            if ACRONYMS.contains(&piece)
                && best
                    .get(end)
                    .copied()
                    .flatten()
                    .is_none_or(|(c, _)| count + 1 < c)
                && let Some(slot) = best.get_mut(end)
            {
                *slot = Some((count + 1, start));
            }
        }
    }
    let mut pieces = Vec::new();
    let mut end = n;
    while end > 0 {
        let Some(Some((_, start))) = best.get(end).copied() else {
            out.push(run.to_owned());
            return;
        };
        pieces.push(run.get(start..end).unwrap_or_default().to_owned());
        end = start;
    }
    pieces.reverse();
    out.extend(pieces);
}

/// `snake_case` field name from an Apple key (`QoSMarkingPolicy` -> `qos_marking_policy`,
/// `WiFiMAC` -> `wifi_mac`, `VPNUUID` -> `vpn_uuid`). Rust keywords (and `extra`, the field
/// for unknown keys) get a trailing underscore; a leading digit gets `k_`.
pub fn snake(s: &str) -> String {
    let out = words(s)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_");
    let out = if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        format!("k_{out}")
    } else {
        out
    };
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
        "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod",
        "move", "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait",
        "true", "type", "unsafe", "use", "where", "while", "yield", "abstract", "become", "box",
        "do", "final", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "extra",
    ];
    if KEYWORDS.contains(&out.as_str()) {
        format!("{out}_")
    } else {
        out
    }
}

/// `UpperCamelCase` type name from an Apple key or payload type, acronyms as one word
/// (`DNSSettings` -> `DnsSettings`, `OSUpdateStatus` -> `OsUpdateStatus`,
/// `configurationprofile.identification` -> `ConfigurationProfileIdentification`).
pub fn upper_camel(s: &str) -> String {
    let mut out = String::new();
    for w in words(s) {
        if let Some((_, split)) = COMPOUNDS.iter().find(|(c, _)| *c == w) {
            out.push_str(split);
            continue;
        }
        let mut chars = w.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_acronyms_whole() {
        for (key, field) in [
            ("QoSMarkingPolicy", "qos_marking_policy"),
            ("EnableIPv6", "enable_ipv6"),
            ("RoamingConsortiumOIs", "roaming_consortium_ois"),
            ("SupportsiOSAppInstalls", "supports_ios_app_installs"),
            (
                "iTunesStoreAccountIsActive",
                "itunes_store_account_is_active",
            ),
            (
                "forceITunesStorePasswordEntry",
                "force_itunes_store_password_entry",
            ),
            ("WiFiMAC", "wifi_mac"),
            ("Wi-Fi", "wifi"),
            ("OSVersion", "os_version"),
            ("UDID", "udid"),
            ("URL", "url"),
            ("VPN", "vpn"),
            ("DNSSettings", "dns_settings"),
            ("VPNUUID", "vpn_uuid"),
            ("PPDURL", "ppd_url"),
            ("ProxyPACURL", "proxy_pac_url"),
            ("PromptForVPNPIN", "prompt_for_vpn_pin"),
            ("SIMMCC", "sim_mcc"),
            ("EAPFASTUsePAC", "eap_fast_use_pac"),
            ("EAPSIMNumberOfRANDs", "eap_sim_number_of_rands"),
            ("CCPMPPE128Enabled", "ccp_mppe128_enabled"),
            ("HTTP2RelayURL", "http2_relay_url"),
            ("EnableXLAT464", "enable_xlat464"),
            ("allowListedAppBundleIDs", "allow_listed_app_bundle_ids"),
            (
                "CheckInURLPinningCertificateUUIDs",
                "check_in_url_pinning_certificate_uuids",
            ),
            ("MCCAndMNCs", "mcc_and_mncs"),
            ("allowedTVs", "allowed_tvs"),
            ("dNSName", "dns_name"),
            ("eSIMServerURL", "esim_server_url"),
            ("iOSApp", "ios_app"),
            ("OAuthSignInURL", "oauth_sign_in_url"),
            ("XAuthName", "xauth_name"),
            (
                "EnableXProtectMalwareUpload",
                "enable_xprotect_malware_upload",
            ),
            ("PPPoE.menu", "pppoe_menu"),
            ("IKEv2", "ikev2"),
            ("IPSec", "ipsec"),
            ("IPv4", "ipv4"),
            ("CalDAVHostName", "caldav_host_name"),
            ("IrDA.menu", "irda_menu"),
            (
                "allowAirPrintiBeaconDiscovery",
                "allow_air_print_ibeacon_discovery",
            ),
            (
                "AutomaticallyInstallMacOSUpdates",
                "automatically_install_macos_updates",
            ),
            ("usePlatformSSOTGT", "use_platform_sso_tgt"),
            ("allowOTAPKIUpdates", "allow_ota_pki_updates"),
            ("APNs", "apns"),
            ("IsMDMLostModeEnabled", "is_mdm_lost_mode_enabled"),
            (
                "RequestRequiresNetworkTether",
                "request_requires_network_tether",
            ),
            ("HESSID", "hessid"),
            ("PIN", "pin"),
            ("Type", "type_"),
            ("extra", "extra_"),
            ("802.1X", "k_802_1_x"),
        ] {
            assert_eq!(snake(key), field, "{key}");
        }
    }

    #[test]
    fn types_count_acronyms_as_words() {
        assert_eq!(upper_camel("DNSSettings"), "DnsSettings");
        assert_eq!(upper_camel("OSUpdateStatus"), "OsUpdateStatus");
        assert_eq!(upper_camel("DeviceInformation"), "DeviceInformation");
        assert_eq!(
            upper_camel("configurationprofile.identification"),
            "ConfigurationProfileIdentification"
        );
        assert_eq!(upper_camel("static-others"), "StaticOthers");
        assert_eq!(upper_camel("QoSMarkingPolicy"), "QosMarkingPolicy");
        assert_eq!(upper_camel("vpn.managed.applayer"), "VpnManagedAppLayer");
        assert_eq!(upper_camel("MCX.FileVault2"), "McxFileVault2");
    }
}
