"""Writes the golden profiles in this folder.

Each profile below is written out by hand as a Python dict and encoded with Python's
plistlib, an encoder independent of ours. UUIDs are the name-based (v5, OID namespace)
UUIDs of the identifiers, upper case, which is what `UuidMode::Deterministic` promises.
Run: python3 make_golden.py
"""
import plistlib
import uuid


def u(name):
    return str(uuid.uuid5(uuid.NAMESPACE_OID, name)).upper()


def payload(root, ptype, body, n=None):
    ident = f"{root}.{ptype}" + (f".{n}" if n else "")
    d = {"PayloadType": ptype, "PayloadIdentifier": ident, "PayloadUUID": u(ident), "PayloadVersion": 1}
    d.update(body)
    return d


def profile(root, name, payloads, **extra):
    d = {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": root,
        "PayloadUUID": u(root),
        "PayloadDisplayName": name,
        "PayloadContent": payloads,
    }
    d.update(extra)
    return d


CERT = bytes(range(48)) * 4
FONT = b"\x00\x01\x00\x00" + b"font-bytes" * 8

R = "com.example.wifi"
wifi = profile(R, "Office Wi-Fi", [payload(R, "com.apple.wifi.managed", {
    "SSID_STR": "Office", "EncryptionType": "WPA2", "Password": "s3cret", "AutoJoin": True, "HIDDEN_NETWORK": False})])

R = "com.example.vpn"
vpn = profile(R, "Corporate VPN", [payload(R, "com.apple.vpn.managed", {
    "VPNType": "IKEv2", "UserDefinedName": "Corp",
    "IKEv2": {"RemoteAddress": "vpn.example.com", "LocalIdentifier": "client.example.com",
              "RemoteIdentifier": "vpn.example.com", "AuthenticationMethod": "Certificate",
              "PayloadCertificateUUID": "11111111-2222-3333-4444-555555555555"}})])

R = "com.example.scep"
scep = profile(R, "Device identity", [payload(R, "com.apple.security.scep", {
    "PayloadContent": {"URL": "https://scep.example.com/scep", "Name": "EXAMPLE-CA",
                       "Subject": [[["CN", "device-0001"]], [["O", "Example"]]],
                       "Challenge": "one-time", "Keysize": 2048, "Key Type": "RSA", "Key Usage": 5}})])

R = "com.example.root"
root = profile(R, "Example root CA", [payload(R, "com.apple.security.root", {
    "PayloadCertificateFileName": "example-root.cer", "PayloadContent": CERT})])

R = "com.example.pkcs12"
p12 = profile(R, "Client identity", [payload(R, "com.apple.security.pkcs12", {
    "PayloadCertificateFileName": "client.p12", "PayloadContent": CERT, "Password": "changeit"})])

R = "com.example.mdm"
mdm = profile(R, "MDM enrollment", [
    payload(R, "com.apple.security.scep", {"PayloadContent": {"URL": "https://mdm.example.com/scep", "Challenge": "c"}}),
    payload(R, "com.apple.mdm", {
        "IdentityCertificateUUID": u(f"{R}.com.apple.security.scep"), "Topic": "com.apple.mgmt.External.0000",
        "ServerURL": "https://mdm.example.com/mdm", "CheckInURL": "https://mdm.example.com/checkin",
        "SignMessage": True, "AccessRights": 8191}),
], PayloadRemovalDisallowed=False)

R = "com.example.restrictions"
restrictions = profile(R, "Restrictions", [payload(R, "com.apple.applicationaccess", {
    "allowCamera": False, "allowAirDrop": False})])

R = "com.example.passcode"
passcode = profile(R, "Passcode policy", [payload(R, "com.apple.mobiledevice.passwordpolicy", {
    "minLength": 6, "requireAlphanumeric": True, "maxFailedAttempts": 10})])

R = "com.example.font"
font = profile(R, "Corporate font", [payload(R, "com.apple.font", {"Name": "Example Sans", "Font": FONT})])

R = "com.example.webclip"
webclip = profile(R, "Intranet", [payload(R, "com.apple.webClip.managed", {
    "URL": "https://intranet.example.com", "Label": "Intranet", "IsRemovable": False, "FullScreen": True})])

R = "com.example.custom"
custom = profile(R, "App settings", [payload(R, "com.example.app", {"ServerURL": "https://app.example.com", "Level": 3, "Enabled": True})])

R = "com.example.eapwifi"
eapwifi = profile(R, "Enterprise Wi-Fi", [
    payload(R, "com.apple.security.root", {"PayloadCertificateFileName": "radius-ca.cer", "PayloadContent": CERT}),
    payload(R, "com.apple.wifi.managed", {"SSID_STR": "Corp", "EncryptionType": "WPA2", "AutoJoin": True}),
    payload(R, "com.apple.wifi.managed", {"SSID_STR": "Guest", "EncryptionType": "None"}, n=2),
], PayloadOrganization="Example Corp", PayloadScope="System")

for name, value in [("wifi", wifi), ("vpn", vpn), ("scep", scep), ("root-certificate", root),
                    ("pkcs12-certificate", p12), ("mdm", mdm), ("restrictions", restrictions),
                    ("passcode", passcode), ("font", font), ("web-clip", webclip),
                    ("custom-settings", custom), ("enterprise-wifi", eapwifi)]:
    with open(f"{name}.mobileconfig", "wb") as f:
        plistlib.dump(value, f)
