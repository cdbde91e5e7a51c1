//! What a simulated device says about itself: identifiers, model and OS, storage, battery,
//! network addresses. Everything is derived from the run's prefix and the device's index, so
//! the same `--prefix` and index give the same device on every run, and devices of one run
//! never share a UDID or serial number.

/// The hardware families the simulator rotates through (by device index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Family {
    /// An iPhone running iOS.
    IPhone,
    /// An iPad running iPadOS.
    IPad,
    /// A Mac running macOS.
    Mac,
}

/// The identity and vital statistics of one simulated device.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceFacts {
    /// The device's index in its run.
    pub index: usize,
    /// Hardware family.
    pub family: Family,
    /// `UDID`, e.g. `00008030-3F2A91C000000007`.
    pub udid: String,
    /// `SerialNumber`, 12 upper-case letters and digits.
    pub serial_number: String,
    /// `DeviceName`, as the owner named it.
    pub device_name: String,
    /// `ProductName`, e.g. `iPhone15,2`.
    pub product_name: String,
    /// `Model` (the part number on iOS, the model identifier on macOS).
    pub model: String,
    /// `ModelName`, e.g. `iPhone`.
    pub model_name: String,
    /// `OSVersion`.
    pub os_version: String,
    /// `BuildVersion`.
    pub build_version: String,
    /// `IMEI` (iPhones only).
    pub imei: Option<String>,
    /// `DeviceCapacity` in GB.
    pub capacity_gb: f64,
    /// `AvailableDeviceCapacity` in GB.
    pub available_gb: f64,
    /// `BatteryLevel`, 0.0 to 1.0 (`None` for a desktop Mac).
    pub battery_level: Option<f64>,
    /// `WiFiMAC`.
    pub wifi_mac: String,
    /// `BluetoothMAC`.
    pub bluetooth_mac: String,
    /// `IsSupervised`.
    pub supervised: bool,
}

impl DeviceFacts {
    /// The facts of device `index` of a run with `prefix`.
    pub fn new(prefix: &str, index: usize) -> Self {
        let h = fnv1a64(prefix.as_bytes());
        let tag = lo32(h >> 32) ^ lo32(h);
        // UDIDs hold the low 32 bits of the index; runs of more than 4 billion devices are
        // not a use case.
        let idx32 = lo32(index as u64);
        let family = match index % 3 {
            0 => Family::IPhone,
            1 => Family::IPad,
            _ => Family::Mac,
        };
        let mix = splitmix64(h ^ index as u64);
        let m = mix.to_le_bytes();
        let i = idx32.to_le_bytes();
        let byte = |b: &[u8; 8], n: usize| b.get(n).copied().unwrap_or(0);
        let mac = |first: u8| {
            format!(
                "{first:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                byte(&m, 0),
                byte(&m, 1),
                byte(&m, 2),
                i.get(1).copied().unwrap_or(0),
                i.first().copied().unwrap_or(0),
            )
        };
        let capacity_gb = match mix % 3 {
            0 => 128.0,
            1 => 256.0,
            _ => 512.0,
        };
        // 5% to 90% used, in steps of 0.25 GB.
        let used = capacity_gb * (5.0 + (mix >> 8) as f64 % 86.0) / 100.0;
        let available_gb = ((capacity_gb - used) * 4.0).round() / 4.0;
        let battery = 0.05 + ((mix >> 16) % 96) as f64 / 100.0;
        let (product_name, model, model_name, os_version, build_version, name) = match family {
            Family::IPhone => (
                "iPhone15,2",
                "MQ0G3LL/A",
                "iPhone",
                "17.5.1",
                "21F90",
                "iPhone",
            ),
            Family::IPad => ("iPad13,18", "MPQ03LL/A", "iPad", "17.5.1", "21F90", "iPad"),
            Family::Mac => (
                "Mac14,2",
                "Mac14,2",
                "MacBook Air",
                "14.5",
                "23F79",
                "MacBook Air",
            ),
        };
        DeviceFacts {
            index,
            family,
            udid: format!("00008030-{tag:08X}{idx32:08X}"),
            serial_number: format!("{}{index:08}", base36(tag, 4)),
            device_name: format!("Sim {name} {index}"),
            product_name: product_name.to_owned(),
            model: model.to_owned(),
            model_name: model_name.to_owned(),
            os_version: os_version.to_owned(),
            build_version: build_version.to_owned(),
            imei: (family == Family::IPhone).then(|| imei(mix)),
            capacity_gb,
            available_gb,
            battery_level: Some((battery * 100.0).round() / 100.0),
            wifi_mac: mac(0xf0),
            bluetooth_mac: mac(0xf4),
            supervised: index.is_multiple_of(2),
        }
    }

    /// True for a Mac.
    pub fn is_mac(&self) -> bool {
        self.family == Family::Mac
    }
}

/// The low 32 bits of `x`.
fn lo32(x: u64) -> u32 {
    u32::try_from(x & 0xFFFF_FFFF).unwrap_or(0)
}

/// FNV-1a, 64 bits: a stable hash of the prefix (std's hasher is not stable across runs).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// splitmix64's finalizer: spreads the bits of `x`.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `n` upper-case base-36 digits of `v` (most significant first, zero-padded).
fn base36(mut v: u32, n: usize) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut out = vec![b'0'; n];
    for slot in out.iter_mut().rev() {
        let d = (v % 36) as usize;
        *slot = DIGITS.get(d).copied().unwrap_or(b'0');
        v /= 36;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// A 15-digit IMEI-shaped number with a valid Luhn check digit.
fn imei(mix: u64) -> String {
    let body = format!("35{:012}", mix % 1_000_000_000_000);
    let digits: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn distinct_and_stable() {
        let a: Vec<DeviceFacts> = (0..2000).map(|i| DeviceFacts::new("sim", i)).collect();
        let udids: HashSet<_> = a.iter().map(|f| f.udid.clone()).collect();
        let serials: HashSet<_> = a.iter().map(|f| f.serial_number.clone()).collect();
        assert_eq!(udids.len(), a.len());
        assert_eq!(serials.len(), a.len());
        assert_eq!(DeviceFacts::new("sim", 7), a[7]);
        assert_ne!(DeviceFacts::new("other", 7).udid, a[7].udid);
        for f in &a {
            assert!(mdm_checkin::Udid::new(f.udid.clone()).is_ok(), "{}", f.udid);
            assert_eq!(f.serial_number.len(), 12);
            assert!(f.available_gb <= f.capacity_gb && f.available_gb > 0.0);
            let b = f.battery_level.unwrap();
            assert!((0.0..=1.0).contains(&b));
        }
    }

    #[test]
    fn imei_has_a_luhn_check_digit() {
        let s = imei(123_456_789);
        assert_eq!(s.len(), 15);
        let sum: u32 = s
            .chars()
            .rev()
            .enumerate()
            .map(|(i, c)| {
                let d = c.to_digit(10).unwrap();
                if i % 2 == 1 {
                    let x = d * 2;
                    if x > 9 { x - 9 } else { x }
                } else {
                    d
                }
            })
            .sum();
        assert_eq!(sum % 10, 0);
    }
}
