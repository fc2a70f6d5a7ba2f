package discovery

import (
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const upMulti = net.FlagUp | net.FlagBroadcast | net.FlagMulticast | net.FlagRunning

func mkNIC(name string, index int, flags net.Flags, addrs ...string) nic {
	n := nic{Iface: net.Interface{Name: name, Index: index, Flags: flags}}
	for _, a := range addrs {
		n.Addrs = append(n.Addrs, netip.MustParseAddr(a))
	}
	return n
}

func TestExcludedByDefault(t *testing.T) {
	tests := []struct {
		name  string
		iface string
		flags net.Flags
		want  string
	}{
		{"wired LAN", "eth0", upMulti, ""},
		{"Wi-Fi", "wlan0", upMulti, ""},
		// A Pi acting as access point often bridges eth0 and wlan0 into br0.
		{"a LAN bridge someone made", "br0", upMulti, ""},
		{"OpenWrt-style bridge", "br-lan", upMulti, ""},
		{"down", "eth1", net.FlagBroadcast | net.FlagMulticast, "down"},
		// The DESIGN note: lo can be made multicast for tests; still never used.
		{"loopback even with multicast on", "lo", net.FlagUp | net.FlagLoopback | net.FlagMulticast, "loopback"},
		{"no multicast", "eth2", net.FlagUp | net.FlagBroadcast, "no multicast"},
		{"VPN tunnel", "wg0", net.FlagUp | net.FlagPointToPoint | net.FlagMulticast, "point-to-point (VPN)"},
		{"docker default bridge", "docker0", upMulti, "container or VM bridge"},
		{"docker user network", "br-3f2a9c1d7e6b", upMulti, "container or VM bridge"},
		{"container veth", "veth1a2b3c", upMulti, "container or VM bridge"},
		{"libvirt", "virbr0", upMulti, "container or VM bridge"},
		{"podman", "podman0", upMulti, "container or VM bridge"},
		{"kubernetes CNI", "cni0", upMulti, "container or VM bridge"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := excludedByDefault(net.Interface{Name: tc.iface, Flags: tc.flags})
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestUsableAddr(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"192.168.1.10", true},
		{"169.254.3.4", true}, // a LAN without DHCP
		{"127.0.0.1", false},
		{"0.0.0.0", false},
		{"224.0.0.251", false},
		{"255.255.255.255", false},
		{"::ffff:10.0.0.1", true}, // IPv4 seen through an IPv6 API
		{"fe80::1", false},        // IPv6 is not advertised at all
		{"2001:db8::1", false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			assert.Equal(t, tc.want, usableAddr(netip.MustParseAddr(tc.addr)))
		})
	}
}

func TestChoose(t *testing.T) {
	all := []nic{
		mkNIC("lo", 1, net.FlagUp|net.FlagLoopback|net.FlagMulticast, "127.0.0.1"),
		mkNIC("eth0", 2, upMulti, "192.168.1.10"),
		mkNIC("wlan0", 3, upMulti, "10.0.0.5"),
		mkNIC("docker0", 4, upMulti, "172.17.0.1"),
		mkNIC("eth1", 5, upMulti), // up, but DHCP has not answered yet
		mkNIC("eth2", 6, net.FlagBroadcast|net.FlagMulticast, "192.168.9.1"),
	}
	tests := []struct {
		name    string
		names   []string
		want    []string
		wantErr error
	}{
		{"default rule", nil, []string{"eth0", "wlan0"}, nil},
		// The operator's choice wins over the container heuristics.
		{"named container bridge", []string{"docker0"}, []string{"docker0"}, nil},
		{"named, in the order given, duplicates once", []string{"wlan0", "eth0", "wlan0"}, []string{"wlan0", "eth0"}, nil},
		// Wi-Fi may come up after the kiosk: absent or unready is not an error.
		{"named but absent", []string{"wlan9"}, nil, nil},
		{"named without address", []string{"eth1"}, nil, nil},
		{"named but down", []string{"eth2"}, nil, nil},
		{"named loopback is refused", []string{"eth0", "lo"}, nil, ErrLoopback},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := choose(all, tc.names)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			var names []string
			for _, n := range got {
				names = append(names, n.Iface.Name)
			}
			assert.Equal(t, tc.want, names)
		})
	}
}

func TestSnapshotChangeDetection(t *testing.T) {
	base := []nic{mkNIC("eth0", 2, upMulti, "192.168.1.10"), mkNIC("wlan0", 3, upMulti, "10.0.0.5")}
	tests := []struct {
		name    string
		next    []nic
		changed bool
	}{
		{"same", []nic{mkNIC("eth0", 2, upMulti, "192.168.1.10"), mkNIC("wlan0", 3, upMulti, "10.0.0.5")}, false},
		// net.Interfaces order is not a change.
		{"reordered", []nic{mkNIC("wlan0", 3, upMulti, "10.0.0.5"), mkNIC("eth0", 2, upMulti, "192.168.1.10")}, false},
		// Flags (RUNNING toggling on a flaky cable) must not cause churn.
		{"flags only", []nic{mkNIC("eth0", 2, net.FlagUp|net.FlagMulticast, "192.168.1.10"), mkNIC("wlan0", 3, upMulti, "10.0.0.5")}, false},
		{"new DHCP lease", []nic{mkNIC("eth0", 2, upMulti, "192.168.1.77"), mkNIC("wlan0", 3, upMulti, "10.0.0.5")}, true},
		{"second address", []nic{mkNIC("eth0", 2, upMulti, "192.168.1.10", "192.168.1.11"), mkNIC("wlan0", 3, upMulti, "10.0.0.5")}, true},
		{"interface gone", []nic{mkNIC("eth0", 2, upMulti, "192.168.1.10")}, true},
		// A USB adapter replugged: same name, new index; zeroconf's sockets joined the old one.
		{"re-created interface", []nic{mkNIC("eth0", 7, upMulti, "192.168.1.10"), mkNIC("wlan0", 3, upMulti, "10.0.0.5")}, true},
	}
	before := snapshotOf(base)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			after := snapshotOf(tc.next)
			assert.Equal(t, tc.changed, before.key != after.key, "%q vs %q", before.key, after.key)
		})
	}
	t.Run("addresses are the union, sorted", func(t *testing.T) {
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("10.0.0.5"), netip.MustParseAddr("192.168.1.10")}, before.addrs)
	})
}
