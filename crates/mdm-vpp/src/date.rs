//! Apple's date forms: `…Z`, `…+0000` (an offset without a colon) and `…+02:00`.

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, Utc};

/// Reads a date in any of the forms Apple sends, with or without fractional seconds.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(d) = DateTime::<FixedOffset>::parse_from_str(s, fmt) {
            return Some(d.with_timezone(&Utc));
        }
    }
    // A date without any offset is taken as UTC (Apple says its dates are UTC).
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc());
        }
    }
    None
}

/// Writes a date as RFC 3339 in UTC with a `Z` (the form Apple's examples use).
pub fn format_date(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Serde for `Option<DateTime<Utc>>` fields in Apple's forms.
pub(crate) mod option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        v: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&super::format_date(d)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        use serde::de::Error as _;
        let raw: Option<std::borrow::Cow<'de, str>> = Option::deserialize(d)?;
        match raw {
            None => Ok(None),
            Some(s) if s.is_empty() => Ok(None),
            Some(s) => super::parse_date(&s)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("unreadable date {s:?}"))),
        }
    }
}

/// Deserialization of required `DateTime<Utc>` fields in Apple's forms.
pub(crate) mod required {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer};

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        use serde::de::Error as _;
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        super::parse_date(&s).ok_or_else(|| D::Error::custom(format!("unreadable date {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apple_forms() {
        let z = parse_date("2023-09-26T08:30:39Z").unwrap();
        assert_eq!(parse_date("2023-09-26T08:30:39+0000"), Some(z));
        assert_eq!(parse_date("2023-09-26T10:30:39+02:00"), Some(z));
        assert_eq!(parse_date("2023-09-26T10:30:39+0200"), Some(z));
        assert_eq!(parse_date("2023-09-26T08:30:39.000+0000"), Some(z));
        assert_eq!(parse_date("2023-09-26T08:30:39"), Some(z));
        assert_eq!(format_date(&z), "2023-09-26T08:30:39Z");
        for bad in ["", "yesterday", "2023-13-01T00:00:00Z", "2023-09-26"] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }
}
