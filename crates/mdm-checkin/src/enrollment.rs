//! Who a check-in message speaks for: the enrollment model a server keys its records on.
//!
//! An MDM enrollment has a *device channel* and, on macOS and Shared iPad, one *user
//! channel* per user. The keys that identify the sender depend on the kind of enrollment:
//!
//! | kind | channel | keys |
//! | --- | --- | --- |
//! | device enrollment | device | `UDID` |
//! | macOS user | user | `UDID` + `UserID` |
//! | Shared iPad user | user | `UDID` + `UserShortName` (`UserID` is the fixed [`SHARED_IPAD_USER_ID`]) |
//! | user enrollment (BYOD) | device | `EnrollmentID` |
//! | user enrollment, macOS user | user | `EnrollmentID` + `EnrollmentUserID` |
//!
//! [`Enrollment::resolve`] works out which row a message is, and [`enrollment_id`] turns it
//! into one stable string per channel, in the same shape nanomdm uses, so records can be
//! shared with servers that follow that convention.

use std::fmt;

use crate::Error;
use mdm_types::{EnrollmentId, Udid};

/// The `UserID` every Shared iPad user channel sends; the user is then told apart by
/// `UserShortName` (the Managed Apple Account).
pub const SHARED_IPAD_USER_ID: &str = "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF";

/// The identifying keys of a check-in message, as sent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enrollment {
    /// `UDID` (device enrollments).
    pub udid: Option<Udid>,
    /// `EnrollmentID` (user enrollments).
    pub enrollment_id: Option<EnrollmentId>,
    /// `EnrollmentUserID` (user channel of a macOS user enrollment).
    pub enrollment_user_id: Option<EnrollmentId>,
    /// `UserID` (user channel: directory GUID, or [`SHARED_IPAD_USER_ID`]).
    pub user_id: Option<String>,
    /// `UserShortName` (user channel: short name, or Managed Apple Account on Shared iPad).
    pub user_short_name: Option<String>,
    /// `UserLongName` (macOS user channel).
    pub user_long_name: Option<String>,
}

/// The channel a message arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The device channel (device-wide commands and settings).
    Device,
    /// A user channel (one user's commands and settings).
    User,
}

/// The kind of enrollment a message comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EnrollmentType {
    /// Device channel of a device enrollment (`UDID`).
    Device,
    /// A macOS user channel (`UDID` + `UserID`).
    User,
    /// Device channel of a user enrollment (`EnrollmentID`).
    UserEnrollmentDevice,
    /// User channel of a user enrollment (`EnrollmentID` + `EnrollmentUserID`).
    UserEnrollment,
    /// A Shared iPad user channel (`UDID` + `UserShortName`).
    SharedIpad,
}

impl EnrollmentType {
    /// The channel this kind of enrollment speaks on.
    pub fn channel(self) -> Channel {
        match self {
            EnrollmentType::Device | EnrollmentType::UserEnrollmentDevice => Channel::Device,
            EnrollmentType::User | EnrollmentType::UserEnrollment | EnrollmentType::SharedIpad => {
                Channel::User
            }
        }
    }

    /// A short readable name (`device`, `user`, `user-enrollment-device`,
    /// `user-enrollment`, `shared-ipad`).
    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentType::Device => "device",
            EnrollmentType::User => "user",
            EnrollmentType::UserEnrollmentDevice => "user-enrollment-device",
            EnrollmentType::UserEnrollment => "user-enrollment",
            EnrollmentType::SharedIpad => "shared-ipad",
        }
    }
}

impl fmt::Display for EnrollmentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An [`Enrollment`] sorted into its kind, with the identifier of the device channel and,
/// for a user channel, of the user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResolvedEnrollment {
    /// The kind of enrollment.
    pub enrollment_type: EnrollmentType,
    /// `UDID` or `EnrollmentID`: names the device channel of this enrollment.
    pub device_channel_id: String,
    /// `UserID`, `UserShortName` (Shared iPad) or `EnrollmentUserID`: names the user on a
    /// user channel; `None` on the device channel.
    pub user_channel_id: Option<String>,
}

impl ResolvedEnrollment {
    /// The channel the message arrived on.
    pub fn channel(&self) -> Channel {
        self.enrollment_type.channel()
    }

    /// The stable enrollment id of this channel: the device channel id alone, or
    /// `<device channel id>:<user channel id>` for a user channel. See [`enrollment_id`].
    pub fn id(&self) -> String {
        match &self.user_channel_id {
            None => self.device_channel_id.clone(),
            Some(user) => format!("{}:{user}", self.device_channel_id),
        }
    }

    /// For a user channel, the id of its device channel (the enrollment it belongs to).
    pub fn parent_id(&self) -> Option<&str> {
        self.user_channel_id
            .as_ref()
            .map(|_| self.device_channel_id.as_str())
    }
}

impl Enrollment {
    /// Sorts the identifying keys into an enrollment kind.
    ///
    /// `UDID` wins over `EnrollmentID` when both are present. With a `UDID`, a `UserID`
    /// makes it a user channel: a Shared iPad one when the `UserID` is
    /// [`SHARED_IPAD_USER_ID`] (then named by `UserShortName`), a macOS user otherwise.
    /// With only an `EnrollmentID`, an `EnrollmentUserID` makes it the user channel of a
    /// user enrollment. Empty `UserID`/`UserShortName` strings count as absent.
    ///
    /// # Errors
    /// [`Error::NoEnrollment`] when there is neither a `UDID` nor an `EnrollmentID`, or
    /// when a Shared iPad user channel has no `UserShortName`.
    pub fn resolve(&self) -> Result<ResolvedEnrollment, Error> {
        if let Some(udid) = &self.udid {
            let device = udid.as_str().to_owned();
            let Some(user_id) = non_empty(self.user_id.as_deref()) else {
                return Ok(ResolvedEnrollment {
                    enrollment_type: EnrollmentType::Device,
                    device_channel_id: device,
                    user_channel_id: None,
                });
            };
            if user_id.eq_ignore_ascii_case(SHARED_IPAD_USER_ID) {
                let short =
                    non_empty(self.user_short_name.as_deref()).ok_or(Error::NoEnrollment {
                        reason: "Shared iPad user channel without UserShortName",
                    })?;
                return Ok(ResolvedEnrollment {
                    enrollment_type: EnrollmentType::SharedIpad,
                    device_channel_id: device,
                    user_channel_id: Some(short.to_owned()),
                });
            }
            return Ok(ResolvedEnrollment {
                enrollment_type: EnrollmentType::User,
                device_channel_id: device,
                user_channel_id: Some(user_id.to_owned()),
            });
        }
        if let Some(eid) = &self.enrollment_id {
            let device = eid.as_str().to_owned();
            return Ok(match &self.enrollment_user_id {
                Some(user) => ResolvedEnrollment {
                    enrollment_type: EnrollmentType::UserEnrollment,
                    device_channel_id: device,
                    user_channel_id: Some(user.as_str().to_owned()),
                },
                None => ResolvedEnrollment {
                    enrollment_type: EnrollmentType::UserEnrollmentDevice,
                    device_channel_id: device,
                    user_channel_id: None,
                },
            });
        }
        Err(Error::NoEnrollment {
            reason: "neither UDID nor EnrollmentID",
        })
    }
}

/// `Some(s)` when `s` is present and not empty.
fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// The stable enrollment id of the channel a message came from: one string a server can
/// key its records, command queues and pushes on.
///
/// - device channel: the `UDID`, or the `EnrollmentID` of a user enrollment;
/// - macOS user channel: `<UDID>:<UserID>`;
/// - Shared iPad user: `<UDID>:<UserShortName>`;
/// - user channel of a user enrollment: `<EnrollmentID>:<EnrollmentUserID>`.
///
/// The id is a pure function of the keys, so the same channel gets the same id on every
/// message, and it has the same form as nanomdm's ids.
///
/// ```
/// use mdm_checkin::{Enrollment, Udid, enrollment_id};
///
/// let device = Enrollment {
///     udid: Some(Udid::new("66ADE930-5FDF-5EC4-8429-15640684C489")?),
///     ..Enrollment::default()
/// };
/// assert_eq!(enrollment_id(&device)?, "66ADE930-5FDF-5EC4-8429-15640684C489");
///
/// let user = Enrollment { user_id: Some("A522C2FB".into()), ..device };
/// assert_eq!(enrollment_id(&user)?, "66ADE930-5FDF-5EC4-8429-15640684C489:A522C2FB");
/// # Ok::<(), mdm_checkin::Error>(())
/// ```
///
/// # Errors
/// As [`Enrollment::resolve`].
pub fn enrollment_id(enrollment: &Enrollment) -> Result<String, Error> {
    enrollment.resolve().map(|r| r.id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn udid() -> Option<Udid> {
        Some(Udid::new("AAAA-1111").unwrap())
    }

    #[test]
    fn every_kind_resolves() {
        let device = Enrollment {
            udid: udid(),
            ..Default::default()
        };
        let r = device.resolve().unwrap();
        assert_eq!(r.enrollment_type, EnrollmentType::Device);
        assert_eq!(r.channel(), Channel::Device);
        assert_eq!(r.id(), "AAAA-1111");
        assert_eq!(r.parent_id(), None);

        let user = Enrollment {
            user_id: Some("U1".into()),
            user_short_name: Some("jo".into()),
            ..device.clone()
        };
        let r = user.resolve().unwrap();
        assert_eq!(r.enrollment_type, EnrollmentType::User);
        assert_eq!(r.id(), "AAAA-1111:U1");
        assert_eq!(r.parent_id(), Some("AAAA-1111"));

        let shared = Enrollment {
            user_id: Some(SHARED_IPAD_USER_ID.into()),
            user_short_name: Some("jo@example.com".into()),
            ..device.clone()
        };
        let r = shared.resolve().unwrap();
        assert_eq!(r.enrollment_type, EnrollmentType::SharedIpad);
        assert_eq!(r.id(), "AAAA-1111:jo@example.com");
        assert_eq!(r.channel(), Channel::User);

        let shared_nameless = Enrollment {
            user_short_name: None,
            ..shared
        };
        assert!(matches!(
            shared_nameless.resolve(),
            Err(Error::NoEnrollment { .. })
        ));

        let ue = Enrollment {
            enrollment_id: Some(EnrollmentId::new("E1").unwrap()),
            ..Default::default()
        };
        let r = ue.resolve().unwrap();
        assert_eq!(r.enrollment_type, EnrollmentType::UserEnrollmentDevice);
        assert_eq!(r.id(), "E1");

        let ue_user = Enrollment {
            enrollment_user_id: Some(EnrollmentId::new("EU1").unwrap()),
            ..ue
        };
        let r = ue_user.resolve().unwrap();
        assert_eq!(r.enrollment_type, EnrollmentType::UserEnrollment);
        assert_eq!(r.id(), "E1:EU1");

        assert!(Enrollment::default().resolve().is_err());
    }

    #[test]
    fn empty_user_id_is_device_channel() {
        let e = Enrollment {
            udid: udid(),
            user_id: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(e.resolve().unwrap().enrollment_type, EnrollmentType::Device);
    }
}
