//! The JSON:API documents and resources of the API: org devices, MDM servers, AppleCare
//! coverage, device activities, and the generic document, link and paging shapes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use mdm_types::SerialNumber;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::json::{Extra, date, string_or_list};

/// Links of a document, resource or relationship (`self`, `first`, `next`, `related`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Links {
    /// This document or resource.
    #[serde(rename = "self", default, skip_serializing_if = "Option::is_none")]
    pub self_link: Option<String>,
    /// The first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// The next page (a full URL with `?cursor=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// The related resource of a relationship.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<String>,
    /// Keys this type does not model (`include` ...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// `meta.paging` of a list document.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Paging {
    /// The page size used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// The cursor of the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// The number of resources in all pages, when Apple says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Keys this type does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `meta` of a document.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Meta {
    /// Paging information of a list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging>,
    /// Keys this type does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A resource identifier: `{type, id}`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Linkage {
    /// The resource type (`orgDevices`, `mdmServers`).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Its id (a serial number for `orgDevices`).
    #[serde(default)]
    pub id: String,
}

impl Linkage {
    /// A linkage to a resource.
    pub fn new(kind: impl Into<String>, id: impl Into<String>) -> Self {
        Linkage {
            kind: kind.into(),
            id: id.into(),
        }
    }
}

/// The `data` of a relationship: one linkage (or `null`), or a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum RelationshipData {
    /// A to-many relationship.
    Many(Vec<Linkage>),
    /// A to-one relationship.
    One(Linkage),
}

/// A relationship of a resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Relationship {
    /// The linked resources, when included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<RelationshipData>,
    /// `self` and `related` links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    /// Paging of the relationship.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Keys this type does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A JSON:API resource object with typed attributes `A`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Resource<A> {
    /// The resource type (`orgDevices`, `mdmServers`, `orgDeviceActivities`, ...).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Its id.
    #[serde(default)]
    pub id: String,
    /// Its attributes (defaults when the document left them out).
    #[serde(default)]
    pub attributes: A,
    /// Its relationships by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub relationships: BTreeMap<String, Relationship>,
    /// Its `self` link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    /// Keys this type does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl<A> Resource<A> {
    /// A resource with these attributes and nothing else.
    pub fn new(kind: impl Into<String>, id: impl Into<String>, attributes: A) -> Self {
        Resource {
            kind: kind.into(),
            id: id.into(),
            attributes,
            relationships: BTreeMap::new(),
            links: None,
            extra: Extra::new(),
        }
    }
}

/// A JSON:API document: `data` (one resource, a list, or linkages), `included`, `links`
/// and `meta`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Document<D> {
    /// The primary data.
    pub data: D,
    /// Related resources included with it, as received.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub included: Vec<serde_json::Value>,
    /// Document links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub links: Option<Links>,
    /// Document meta (paging).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Keys this type does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

impl<D> Document<D> {
    /// A document with this data and nothing else.
    pub fn new(data: D) -> Self {
        Document {
            data,
            included: Vec::new(),
            links: None,
            meta: None,
            extra: Extra::new(),
        }
    }

    /// Sets `meta.paging.nextCursor` (and `limit`), as a server does on all pages but the
    /// last.
    pub fn with_paging(mut self, limit: Option<u64>, next_cursor: Option<String>) -> Self {
        self.meta = Some(Meta {
            paging: Some(Paging {
                limit,
                next_cursor,
                ..Paging::default()
            }),
            extra: Extra::new(),
        });
        self
    }

    /// `meta.paging`, if present.
    pub fn paging(&self) -> Option<&Paging> {
        self.meta.as_ref().and_then(|m| m.paging.as_ref())
    }

    /// The cursor of the next page: `meta.paging.nextCursor`, else the `cursor` of
    /// `links.next`. `None` on the last page.
    pub fn next_cursor(&self) -> Option<String> {
        if let Some(c) = self.paging().and_then(|p| p.next_cursor.as_deref())
            && !c.is_empty()
        {
            return Some(c.to_owned());
        }
        let next = self.links.as_ref()?.next.as_deref()?;
        let query = next.split_once('?')?.1;
        crate::auth::form_decode(query)
            .into_iter()
            .find(|(k, v)| k == "cursor" && !v.is_empty())
            .map(|(_, v)| v)
    }
}

impl<D: DeserializeOwned> Document<D> {
    /// Reads a document.
    ///
    /// ```
    /// let page = mdm_axm::OrgDevicesResponse::decode(br#"{"data":[{"type":"orgDevices",
    ///     "id":"C02XL0GHJGH5","attributes":{"imei":"35"}}],"meta":{"paging":{"nextCursor":"c2"}}}"#)?;
    /// assert_eq!(page.data[0].attributes.imei, ["35"]);
    /// assert_eq!(page.next_cursor().as_deref(), Some("c2"));
    /// # Ok::<_, mdm_axm::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::MalformedResponse`] when the bytes are not this document;
    /// [`Error::ResponseTooLarge`] above [`crate::MAX_RESPONSE_BODY`].
    pub fn decode(bytes: &[u8]) -> Result<Self, Error> {
        crate::json::decode("document", bytes)
    }
}

impl<D: Serialize> Document<D> {
    /// Writes the document as JSON.
    ///
    /// # Errors
    /// Never in practice.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        crate::json::encode(self)
    }
}

mdm_plist::open_enum! {
    /// `productFamily` of an org device.
    pub enum ProductFamily {
        /// iPhone.
        IPhone = "iPhone",
        /// iPad.
        IPad = "iPad",
        /// Mac.
        Mac = "Mac",
        /// Apple TV.
        AppleTv = "AppleTV",
        /// Apple Watch.
        Watch = "Watch",
        /// Apple Vision Pro.
        Vision = "Vision",
    }
}

mdm_plist::open_enum! {
    /// `status` of an org device.
    pub enum DeviceStatus {
        /// Assigned to an MDM server.
        Assigned = "ASSIGNED",
        /// Not assigned to any MDM server.
        Unassigned = "UNASSIGNED",
    }
}

mdm_plist::open_enum! {
    /// `purchaseSourceType` of an org device.
    pub enum PurchaseSourceType {
        /// Bought from Apple.
        Apple = "APPLE",
        /// Bought from a reseller.
        Reseller = "RESELLER",
        /// Added by hand (Apple Configurator).
        ManuallyAdded = "MANUALLY_ADDED",
    }
}

/// The attributes of an org device (`orgDevices`). Attributes Apple adds later land in
/// `extra`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrgDevice {
    /// The serial number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<SerialNumber>,
    /// When it was added to the organization.
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub added_to_org_date_time: Option<DateTime<Utc>>,
    /// When it was released from the organization (single-device reads only).
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub released_from_org_date_time: Option<DateTime<Utc>>,
    /// When the record last changed.
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub updated_date_time: Option<DateTime<Utc>>,
    /// Marketing model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_model: Option<String>,
    /// Product family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_family: Option<ProductFamily>,
    /// Product type (`iPhone15,2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_type: Option<String>,
    /// Storage capacity as Apple writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_capacity: Option<String>,
    /// Part number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_number: Option<String>,
    /// Order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    /// Color.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Assignment status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<DeviceStatus>,
    /// When it was ordered.
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub order_date_time: Option<DateTime<Utc>>,
    /// IMEIs (a string in the old schema, an array now; both read).
    #[serde(
        default,
        deserialize_with = "string_or_list::deserialize",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub imei: Vec<String>,
    /// MEIDs (as `imei`).
    #[serde(
        default,
        deserialize_with = "string_or_list::deserialize",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub meid: Vec<String>,
    /// The eSIM EID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eid: Option<String>,
    /// Wi-Fi MAC address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wifi_mac_address: Option<String>,
    /// Bluetooth MAC address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bluetooth_mac_address: Option<String>,
    /// Ethernet MAC addresses (a string or an array; both read).
    #[serde(
        default,
        deserialize_with = "string_or_list::deserialize",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ethernet_mac_address: Vec<String>,
    /// The purchase source id; Apple's own example spells the key `purchaseSourceUid`,
    /// which is read too (and written back as `purchaseSourceId`).
    #[serde(
        default,
        alias = "purchaseSourceUid",
        skip_serializing_if = "Option::is_none"
    )]
    pub purchase_source_id: Option<String>,
    /// Where it was bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purchase_source_type: Option<PurchaseSourceType>,
    /// Whether it can be migrated to another MDM with a deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_mdm_migration_capable: Option<bool>,
    /// The migration status, as Apple writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mdm_migration_status: Option<String>,
    /// The migration deadline.
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub mdm_migration_deadline_date_time: Option<DateTime<Utc>>,
    /// Attributes this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

mdm_plist::open_enum! {
    /// `serverType` of an MDM server.
    pub enum MdmServerType {
        /// A third-party MDM.
        Mdm = "MDM",
        /// Apple Configurator.
        AppleConfigurator = "APPLE_CONFIGURATOR",
        /// Apple's built-in MDM (Apple Business).
        AppleMdm = "APPLE_MDM",
    }
}

mdm_plist::open_enum! {
    /// `status` of an MDM server (2.1 and later).
    pub enum MdmServerStatus {
        /// In use.
        Active = "ACTIVE",
        /// Not in use.
        Inactive = "INACTIVE",
        /// Deleted.
        Deleted = "DELETED",
    }
}

/// The attributes of an MDM server (`mdmServers`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MdmServer {
    /// Its name in the portal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// Its type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_type: Option<MdmServerType>,
    /// When it was created.
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub created_date_time: Option<DateTime<Utc>>,
    /// When it last changed.
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub updated_date_time: Option<DateTime<Utc>>,
    /// Its status (2.1 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MdmServerStatus>,
    /// Whether devices may be disowned from it (2.1 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_mdm_disown_flag: Option<bool>,
    /// Product families assigned to it by default (2.1 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_product_families: Option<Vec<ProductFamily>>,
    /// How many devices it has (2.1 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_count: Option<u64>,
    /// When it last talked to Apple (2.1 and later).
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub last_connected_date_time: Option<DateTime<Utc>>,
    /// The address it last talked from (2.1 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_connected_ip: Option<String>,
    /// Attributes this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

mdm_plist::open_enum! {
    /// `status` of an AppleCare coverage entry.
    pub enum CoverageStatus {
        /// In force.
        Active = "ACTIVE",
        /// Expired or not started.
        Inactive = "INACTIVE",
    }
}

mdm_plist::open_enum! {
    /// `paymentType` of an AppleCare coverage entry.
    pub enum PaymentType {
        /// AppleCare for Business Essentials subscription.
        AbeSubscription = "ABE_SUBSCRIPTION",
        /// Paid up front.
        PaidUpFront = "PAID_UP_FRONT",
        /// Subscription.
        Subscription = "SUBSCRIPTION",
        /// No payment (limited warranty).
        None = "NONE",
    }
}

/// The attributes of an AppleCare coverage entry (1.3 and later).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AppleCareCoverage {
    /// Whether it is in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CoverageStatus>,
    /// How it is paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_type: Option<PaymentType>,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The agreement number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_number: Option<String>,
    /// Start.
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<DateTime<Utc>>,
    /// End.
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<DateTime<Utc>>,
    /// Whether it can be renewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_renewable: Option<bool>,
    /// Whether it was canceled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_canceled: Option<bool>,
    /// When it was canceled.
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub contract_cancel_date_time: Option<DateTime<Utc>>,
    /// Attributes this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

mdm_plist::open_enum! {
    /// `status` of a device activity.
    pub enum ActivityStatus {
        /// Finished (see the sub-status and the CSV log for per-device outcomes).
        Completed = "COMPLETED",
        /// Still running.
        InProgress = "IN_PROGRESS",
        /// Stopped before finishing.
        Stopped = "STOPPED",
        /// Failed.
        Failed = "FAILED",
    }
}

impl ActivityStatus {
    /// Whether the activity will not change any more.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            ActivityStatus::Completed | ActivityStatus::Stopped | ActivityStatus::Failed
        )
    }
}

mdm_plist::open_enum! {
    /// `subStatus` of a device activity.
    pub enum ActivitySubStatus {
        /// Accepted.
        Submitted = "SUBMITTED",
        /// Being checked.
        PreProcessing = "PRE_PROCESSING",
        /// Waiting.
        Pending = "PENDING",
        /// Running.
        Processing = "PROCESSING",
        /// Finishing.
        PostProcessing = "POST_PROCESSING",
        /// Being stopped.
        Stopping = "STOPPING",
        /// Every device succeeded.
        CompletedWithSuccess = "COMPLETED_WITH_SUCCESS",
        /// Some devices failed (see the CSV log).
        CompletedWithError = "COMPLETED_WITH_ERROR",
        /// The activity failed.
        CompletedWithFailure = "COMPLETED_WITH_FAILURE",
        /// The work was done but finishing failed.
        CompletedPostProcessingFailed = "COMPLETED_POST_PROCESSING_FAILED",
    }
}

/// The attributes of a device activity (`orgDeviceActivities`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrgDeviceActivity {
    /// Overall status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ActivityStatus>,
    /// Finer status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_status: Option<ActivitySubStatus>,
    /// When it was created.
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub created_date_time: Option<DateTime<Utc>>,
    /// When it finished.
    #[serde(default, with = "date", skip_serializing_if = "Option::is_none")]
    pub completed_date_time: Option<DateTime<Utc>>,
    /// The presigned URL of the CSV log (once `COMPLETED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    /// Attributes this version does not model.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `GET /v1/orgDevices`: a page of org devices.
pub type OrgDevicesResponse = Document<Vec<Resource<OrgDevice>>>;
/// `GET /v1/orgDevices/{id}`: one org device.
pub type OrgDeviceResponse = Document<Resource<OrgDevice>>;
/// `GET /v1/mdmServers`: a page of MDM servers.
pub type MdmServersResponse = Document<Vec<Resource<MdmServer>>>;
/// `GET /v1/orgDevices/{id}/assignedServer` (and 2.1's `GET /v1/mdmServers/{id}`).
pub type MdmServerResponse = Document<Resource<MdmServer>>;
/// `GET /v1/orgDevices/{id}/relationships/assignedServer`: the server linkage, `null` (or
/// an empty id) when unassigned.
pub type LinkageResponse = Document<Option<Linkage>>;
/// `GET /v1/mdmServers/{id}/relationships/devices`: a page of device linkages.
pub type LinkagesResponse = Document<Vec<Linkage>>;
/// `GET /v1/orgDevices/{id}/appleCareCoverage`.
pub type AppleCareCoverageResponse = Document<Vec<Resource<AppleCareCoverage>>>;
/// `POST /v1/orgDeviceActivities` and `GET /v1/orgDeviceActivities/{id}`.
pub type OrgDeviceActivityResponse = Document<Resource<OrgDeviceActivity>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_and_new_field_forms() {
        let old = br#"{"data":{"type":"orgDevices","id":"S1","attributes":{
            "serialNumber":"S1","imei":"111","meid":"","purchaseSourceUid":"p-1",
            "productFamily":"Toaster","orderDateTime":"not a date","releaserId":"r"}}}"#;
        let d = OrgDeviceResponse::decode(old).unwrap();
        let a = &d.data.attributes;
        assert_eq!(a.imei, ["111"]);
        assert!(a.meid.is_empty());
        assert_eq!(a.purchase_source_id.as_deref(), Some("p-1"));
        assert_eq!(
            a.product_family,
            Some(ProductFamily::Other("Toaster".into()))
        );
        assert_eq!(a.order_date_time, None);
        assert_eq!(a.extra["releaserId"], "r");
        let again = OrgDeviceResponse::decode(&d.encode().unwrap()).unwrap();
        assert_eq!(again.data.attributes.extra["releaserId"], "r");
    }

    #[test]
    fn cursor_from_links_next() {
        let doc: LinkagesResponse = Document::decode(
            br#"{"data":[],"links":{"self":"x","next":"https://h/v1/x?limit=2&cursor=abc%3D"}}"#,
        )
        .unwrap();
        assert_eq!(doc.next_cursor().as_deref(), Some("abc="));
        let doc: LinkagesResponse =
            Document::decode(br#"{"data":[],"meta":{"paging":{"nextCursor":""}}}"#).unwrap();
        assert_eq!(doc.next_cursor(), None);
    }

    #[test]
    fn unassigned_linkage() {
        let doc = LinkageResponse::decode(br#"{"data":null,"links":{"self":"x"}}"#).unwrap();
        assert!(doc.data.is_none());
    }
}
