//! Splitting large jobs by the service's published limits, duplicates removed.

use std::collections::HashSet;
use std::hash::Hash;

use crate::error::Error;
use crate::types::{ManageAssetsRequest, ManageUsersRequest, RevokeAssetsRequest, ServiceLimits};

impl ManageAssetsRequest {
    /// Checks one request against the limits (what the service would refuse with 9700 to
    /// 9705): at least one asset, at least one device or user, no more than `maxAssets`,
    /// `maxSerialNumbers` and `maxClientUserIds`, and no duplicates.
    ///
    /// # Errors
    /// [`Error::Invalid`] or [`Error::LimitExceeded`].
    pub fn check(&self, limits: &ServiceLimits) -> Result<(), Error> {
        if self.assets.is_empty() {
            return Err(Error::invalid("asset request", "no assets"));
        }
        if self.serial_numbers.is_empty() && self.client_user_ids.is_empty() {
            return Err(Error::invalid(
                "asset request",
                "no serial numbers and no users",
            ));
        }
        limit("assets", self.assets.len(), limits.max_assets)?;
        limit(
            "serialNumbers",
            self.serial_numbers.len(),
            limits.max_serial_numbers,
        )?;
        limit(
            "clientUserIds",
            self.client_user_ids.len(),
            limits.max_client_user_ids,
        )?;
        unique(
            "assets",
            self.assets.iter().map(|a| (&a.adam_id, &a.pricing_param)),
        )?;
        unique("serialNumbers", self.serial_numbers.iter())?;
        unique("clientUserIds", self.client_user_ids.iter())
    }

    /// Splits the request into requests within the limits, duplicates removed, order kept.
    ///
    /// Every chunk carries at most `maxAssets` assets and either devices (at most
    /// `maxSerialNumbers`) or users (at most `maxClientUserIds`), never both: Apple's
    /// example sends both in one request, some clients treat them as exclusive, and
    /// separate requests are correct under either reading.
    ///
    /// # Errors
    /// [`Error::Invalid`] when there are no assets, or no devices and no users.
    pub fn chunks(&self, limits: &ServiceLimits) -> Result<Vec<ManageAssetsRequest>, Error> {
        let assets = dedup(self.assets.iter().cloned(), |a| {
            (a.adam_id.clone(), a.pricing_param.clone())
        });
        let serials = dedup(self.serial_numbers.iter().cloned(), Clone::clone);
        let users = dedup(self.client_user_ids.iter().cloned(), Clone::clone);
        if assets.is_empty() {
            return Err(Error::invalid("asset request", "no assets"));
        }
        if serials.is_empty() && users.is_empty() {
            return Err(Error::invalid(
                "asset request",
                "no serial numbers and no users",
            ));
        }
        let mut out = Vec::new();
        for asset_chunk in assets.chunks(size(limits.max_assets)) {
            for s in serials.chunks(size(limits.max_serial_numbers)) {
                out.push(ManageAssetsRequest {
                    assets: asset_chunk.to_vec(),
                    serial_numbers: s.to_vec(),
                    client_user_ids: Vec::new(),
                    extra: self.extra.clone(),
                });
            }
            for u in users.chunks(size(limits.max_client_user_ids)) {
                out.push(ManageAssetsRequest {
                    assets: asset_chunk.to_vec(),
                    serial_numbers: Vec::new(),
                    client_user_ids: u.to_vec(),
                    extra: self.extra.clone(),
                });
            }
        }
        Ok(out)
    }
}

impl RevokeAssetsRequest {
    /// Checks one request against `maxRevokeSerialNumbers` and `maxRevokeClientUserIds`.
    ///
    /// # Errors
    /// [`Error::Invalid`] or [`Error::LimitExceeded`].
    pub fn check(&self, limits: &ServiceLimits) -> Result<(), Error> {
        if self.serial_numbers.is_empty() && self.client_user_ids.is_empty() {
            return Err(Error::invalid(
                "revoke request",
                "no serial numbers and no users",
            ));
        }
        limit(
            "serialNumbers",
            self.serial_numbers.len(),
            limits.max_revoke_serial_numbers,
        )?;
        limit(
            "clientUserIds",
            self.client_user_ids.len(),
            limits.max_revoke_client_user_ids,
        )?;
        unique("serialNumbers", self.serial_numbers.iter())?;
        unique("clientUserIds", self.client_user_ids.iter())
    }

    /// Splits the request by the revoke limits, duplicates removed; each chunk holds
    /// devices or users, not both.
    ///
    /// # Errors
    /// [`Error::Invalid`] when there are no devices and no users.
    pub fn chunks(&self, limits: &ServiceLimits) -> Result<Vec<RevokeAssetsRequest>, Error> {
        let serials = dedup(self.serial_numbers.iter().cloned(), Clone::clone);
        let users = dedup(self.client_user_ids.iter().cloned(), Clone::clone);
        if serials.is_empty() && users.is_empty() {
            return Err(Error::invalid(
                "revoke request",
                "no serial numbers and no users",
            ));
        }
        let mut out = Vec::new();
        for s in serials.chunks(size(limits.max_revoke_serial_numbers)) {
            out.push(RevokeAssetsRequest {
                serial_numbers: s.to_vec(),
                client_user_ids: Vec::new(),
                extra: self.extra.clone(),
            });
        }
        for u in users.chunks(size(limits.max_revoke_client_user_ids)) {
            out.push(RevokeAssetsRequest {
                serial_numbers: Vec::new(),
                client_user_ids: u.to_vec(),
                extra: self.extra.clone(),
            });
        }
        Ok(out)
    }
}

impl ManageUsersRequest {
    /// Checks one request against `maxUsers` (and for duplicate `clientUserId`s).
    ///
    /// # Errors
    /// [`Error::Invalid`] or [`Error::LimitExceeded`].
    pub fn check(&self, limits: &ServiceLimits) -> Result<(), Error> {
        if self.users.is_empty() {
            return Err(Error::invalid("user request", "no users"));
        }
        limit("users", self.users.len(), limits.max_users)?;
        unique("users", self.users.iter().map(|u| &u.client_user_id))
    }

    /// Splits the request by `maxUsers`; a repeated `clientUserId` keeps its first entry.
    ///
    /// # Errors
    /// [`Error::Invalid`] when there are no users.
    pub fn chunks(&self, limits: &ServiceLimits) -> Result<Vec<ManageUsersRequest>, Error> {
        let users = dedup(self.users.iter().cloned(), |u| u.client_user_id.clone());
        if users.is_empty() {
            return Err(Error::invalid("user request", "no users"));
        }
        Ok(users
            .chunks(size(limits.max_users))
            .map(|c| ManageUsersRequest {
                users: c.to_vec(),
                extra: self.extra.clone(),
            })
            .collect())
    }
}

/// A chunk size from a limit (a limit of 0 from a broken configuration counts as 1).
fn size(limit: u32) -> usize {
    usize::try_from(limit.max(1)).unwrap_or(usize::MAX)
}

fn limit(what: &'static str, given: usize, limit: u32) -> Result<(), Error> {
    let given = given as u64;
    if given > u64::from(limit) {
        return Err(Error::LimitExceeded {
            what,
            limit: u64::from(limit),
            given,
        });
    }
    Ok(())
}

fn unique<T: Hash + Eq>(what: &'static str, items: impl Iterator<Item = T>) -> Result<(), Error> {
    let mut seen = HashSet::new();
    for item in items {
        if !seen.insert(item) {
            return Err(Error::invalid(
                "request",
                format!("{what} holds duplicates"),
            ));
        }
    }
    Ok(())
}

fn dedup<T, K: Hash + Eq>(items: impl Iterator<Item = T>, key: impl Fn(&T) -> K) -> Vec<T> {
    let mut seen = HashSet::new();
    items.filter(|i| seen.insert(key(i))).collect()
}

#[cfg(test)]
mod tests {
    use mdm_types::SerialNumber;

    use super::*;
    use crate::ids::{AdamId, ClientUserId};
    use crate::types::{Asset, PricingParam, RequestUser};

    fn serials(n: usize) -> Vec<SerialNumber> {
        (0..n)
            .map(|i| SerialNumber::new(format!("SN{i:06}")).unwrap())
            .collect()
    }

    #[test]
    fn associate_chunks_by_limits_without_duplicates() {
        let limits = ServiceLimits::default();
        let mut s = serials(2500);
        s.extend(serials(10)); // duplicates
        let assets: Vec<Asset> = (0..30)
            .map(|i| Asset::new(AdamId::new(format!("{}", 1000 + i)).unwrap()))
            .chain([Asset::new(AdamId::new("1000").unwrap())])
            .collect();
        let req = ManageAssetsRequest::new(assets)
            .with_serial_numbers(s)
            .with_client_user_ids([ClientUserId::new("u1").unwrap()]);
        let chunks = req.chunks(&limits).unwrap();
        // 2 asset chunks (25 + 5) x (3 serial chunks + 1 user chunk)
        assert_eq!(chunks.len(), 8);
        for c in &chunks {
            c.check(&limits).unwrap();
            assert!(c.serial_numbers.is_empty() != c.client_user_ids.is_empty());
        }
        let total: usize = chunks
            .iter()
            .map(|c| c.serial_numbers.len() * c.assets.len())
            .sum();
        assert_eq!(total, 2500 * 30);
    }

    #[test]
    fn asset_identity_includes_pricing() {
        let a = AdamId::new("1").unwrap();
        let req = ManageAssetsRequest::new([
            Asset::new(a.clone()),
            Asset::new(a.clone()).with_pricing_param(PricingParam::Plus),
            Asset::new(a),
        ])
        .with_serial_numbers(serials(1));
        let chunks = req.chunks(&ServiceLimits::default()).unwrap();
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].assets.len(), 2);
        assert!(req.check(&ServiceLimits::default()).is_err());
    }

    #[test]
    fn revoke_and_users() {
        let limits = ServiceLimits::default();
        let r = RevokeAssetsRequest::serial_numbers(serials(250));
        assert_eq!(r.chunks(&limits).unwrap().len(), 3);
        assert!(r.check(&limits).is_err());
        assert!(RevokeAssetsRequest::default().chunks(&limits).is_err());
        let users = ManageUsersRequest::new(
            (0..205).map(|i| RequestUser::new(ClientUserId::new(format!("u{}", i % 201)).unwrap())),
        );
        let chunks = users.chunks(&limits).unwrap();
        assert_eq!(
            chunks.iter().map(|c| c.users.len()).collect::<Vec<_>>(),
            [100, 100, 1]
        );
        assert!(ManageUsersRequest::default().chunks(&limits).is_err());
    }

    #[test]
    fn zero_limits_do_not_loop() {
        let limits = ServiceLimits {
            max_assets: 0,
            max_serial_numbers: 0,
            ..ServiceLimits::default()
        };
        let req = ManageAssetsRequest::new([Asset::new(AdamId::new("1").unwrap())])
            .with_serial_numbers(serials(3));
        assert_eq!(req.chunks(&limits).unwrap().len(), 3);
    }
}
