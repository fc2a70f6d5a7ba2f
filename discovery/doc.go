// Package discovery finds kiosks and wards on the LAN by mDNS / DNS-SD,
// on top of github.com/grandcat/zeroconf v1.0.0.
//
// A kiosk advertises _kyso-kiosk._tcp and a ward advertises _kyso-ward._tcp
// (Advertiser). The ward browses for kiosks, and a kiosk with no configured
// ward URL browses for a ward (Browser, PickWard).
//
// Invariants:
//   - Only the interfaces chosen by Interfaces are used: named ones, or by
//     default every up, multicast, non-loopback, non-point-to-point interface
//     that is not a container or VM bridge. Loopback and container addresses
//     are never advertised, even when a named interface is loopback (that is
//     a configuration error).
//   - Instance names are unique on the wire: the human name with the kiosk ID
//     appended, because zeroconf v1.0.0 does no conflict probing. Host names
//     are kyso-<id>.local. for the same reason (many boxes share a hostname).
//   - Only the Advertiser's Run goroutine touches its zeroconf server. TXT is
//     never changed in place (zeroconf's SetText races with its own responder
//     goroutines); a new head seq is published by re-registering, at most once
//     per SeqInterval, so bursts of records cost one re-registration.
//   - Addresses are captured when registering, so the advertiser polls the
//     interfaces and re-registers when the chosen set or its addresses change.
//     Stopping always sends a goodbye (records with TTL 0).
//   - zeroconf v1.0.0's browser gives up after ~15 minutes, reports each
//     instance once per browse and never reports removals. The Browser
//     therefore browses in bounded windows and marks a peer gone when no
//     window has seen it for GoneAfter.
//   - Nothing here needs root: mDNS is UDP port 5353, shared with avahi by
//     SO_REUSEADDR.
//   - mDNS is unauthenticated. Anything found here is a hint about where to
//     connect; who the peer is must be proven by the protocol on top
//     (tokens), never by what it announced.
package discovery
