package discovery

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// nic is one network interface with the addresses discovery may advertise
// on it.
type nic struct {
	Iface net.Interface
	Addrs []netip.Addr // usable addresses only, sorted
}

// containerPrefixes name interfaces that container and VM runtimes create.
// Their addresses lead nowhere a tablet or the ward can reach, so the
// default rule never uses them. A named interface (--mdns-iface) is taken as
// the operator's choice even when it matches.
var containerPrefixes = []string{
	"docker", "veth", "virbr", "vnet", "lxcbr", "lxdbr", "incusbr", "cni",
	"flannel", "cali", "cilium", "weave", "vxlan", "podman", "kube", "nerdctl",
}

// dockerNetwork matches Docker's user-defined bridges (br-<12 hex>), and
// not a br-lan someone made on purpose.
var dockerNetwork = regexp.MustCompile(`^br-[0-9a-f]{12}$`)

// excludedByDefault says why the default rule skips an interface, or "".
func excludedByDefault(ifi net.Interface) string {
	switch {
	case ifi.Flags&net.FlagUp == 0:
		return "down"
	case ifi.Flags&net.FlagLoopback != 0:
		return "loopback"
	case ifi.Flags&net.FlagMulticast == 0:
		return "no multicast"
	case ifi.Flags&net.FlagPointToPoint != 0:
		return "point-to-point (VPN)"
	case isContainerName(ifi.Name):
		return "container or VM bridge"
	}
	return ""
}

func isContainerName(name string) bool {
	if dockerNetwork.MatchString(name) {
		return true
	}
	for _, p := range containerPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// usableAddr reports whether an address may be advertised. IPv4 only: the
// LAN, the QR codes and the ward all use IPv4, and IPv6 temporary addresses
// would only cause re-registrations. Link-local IPv4 stays: it is what a LAN
// without DHCP has.
func usableAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.Is4() && !a.IsLoopback() && !a.IsUnspecified() && !a.IsMulticast() &&
		a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// ErrLoopback is returned when a loopback interface is named: discovery
// never advertises loopback addresses.
var ErrLoopback = errors.New("discovery: loopback interfaces are never used")

// choose applies the interface rule. With no names it is the default rule;
// with names, exactly those interfaces, each when it is up, multicast and
// has a usable address (Wi-Fi may come up after the kiosk starts, so a
// missing one is skipped, not an error). skipped explains each one left out.
func choose(all []nic, names []string) (chosen []nic, skipped []string, err error) {
	if len(names) == 0 {
		for _, n := range all {
			if why := excludedByDefault(n.Iface); why != "" {
				skipped = append(skipped, n.Iface.Name+": "+why)
				continue
			}
			if len(n.Addrs) == 0 {
				skipped = append(skipped, n.Iface.Name+": no IPv4 address")
				continue
			}
			chosen = append(chosen, n)
		}
		return chosen, skipped, nil
	}
	seen := map[string]bool{}
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		i := slices.IndexFunc(all, func(n nic) bool { return n.Iface.Name == name })
		if i < 0 {
			skipped = append(skipped, name+": not present")
			continue
		}
		n := all[i]
		switch {
		case n.Iface.Flags&net.FlagLoopback != 0:
			return nil, nil, fmt.Errorf("%w: %s", ErrLoopback, name)
		case n.Iface.Flags&net.FlagUp == 0:
			skipped = append(skipped, name+": down")
		case n.Iface.Flags&net.FlagMulticast == 0:
			skipped = append(skipped, name+": no multicast")
		case len(n.Addrs) == 0:
			skipped = append(skipped, name+": no IPv4 address")
		default:
			chosen = append(chosen, n)
		}
	}
	return chosen, skipped, nil
}

// checkNames rejects names that can never be valid, before anything runs.
func checkNames(names []string) error {
	for _, n := range names {
		if strings.TrimSpace(n) == "lo" {
			return fmt.Errorf("%w: lo", ErrLoopback)
		}
	}
	return nil
}

// systemNICs lists the host's interfaces with their usable addresses.
func systemNICs() ([]nic, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	out := make([]nic, 0, len(ifs))
	for _, ifi := range ifs {
		n := nic{Iface: ifi}
		// An interface that vanishes between the two calls just has no
		// addresses this round.
		addrs, _ := ifi.Addrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if ok && usableAddr(ip) {
				n.Addrs = append(n.Addrs, ip.Unmap())
			}
		}
		slices.SortFunc(n.Addrs, netip.Addr.Compare)
		n.Addrs = slices.Compact(n.Addrs)
		out = append(out, n)
	}
	return out, nil
}

// Interfaces returns the interfaces discovery uses: the named ones, or by
// default every up, multicast, non-loopback, non-point-to-point interface
// that is not a container or VM bridge and has an IPv4 address. Named
// interfaces that are absent or not ready are left out; naming a loopback
// interface is an error.
func Interfaces(names []string) ([]net.Interface, error) {
	all, err := systemNICs()
	if err != nil {
		return nil, err
	}
	chosen, _, err := choose(all, names)
	if err != nil {
		return nil, err
	}
	out := make([]net.Interface, len(chosen))
	for i, n := range chosen {
		out[i] = n.Iface
	}
	return out, nil
}

// snapshot is what the advertiser registered with. Two snapshots with the
// same key need no re-registration.
type snapshot struct {
	key    string
	ifaces []net.Interface
	addrs  []netip.Addr
}

// snapshotOf summarises chosen interfaces. The key holds names, indexes
// (an interface re-created under the same name gets a new index, and
// zeroconf's sockets are bound to the old one) and addresses; flags and
// counters are left out so they cannot cause churn.
func snapshotOf(chosen []nic) snapshot {
	sorted := slices.Clone(chosen)
	slices.SortFunc(sorted, func(a, b nic) int { return strings.Compare(a.Iface.Name, b.Iface.Name) })
	var (
		s     snapshot
		parts []string
	)
	for _, n := range sorted {
		as := make([]string, len(n.Addrs))
		for i, a := range n.Addrs {
			as[i] = a.String()
		}
		parts = append(parts, fmt.Sprintf("%s#%d=%s", n.Iface.Name, n.Iface.Index, strings.Join(as, ",")))
		s.ifaces = append(s.ifaces, n.Iface)
		s.addrs = append(s.addrs, n.Addrs...)
	}
	slices.SortFunc(s.addrs, netip.Addr.Compare)
	s.addrs = slices.Compact(s.addrs)
	s.key = strings.Join(parts, ";")
	return s
}
