package netguard

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestAllowed(t *testing.T) {
	tests := []struct {
		addr   string
		strict bool // zero Policy
		dev    bool // AllowPrivate
	}{
		// Public examples.
		{"8.8.8.8", true, true},
		{"1.1.1.1", true, true},
		{"93.184.215.14", true, true},
		{"2001:4860:4860::8888", true, true},
		{"2606:4700:4700::1111", true, true},
		{"::ffff:8.8.8.8", true, true},
		{"64:ff9b::808:808", true, true}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", true, true},  // 6to4 of 8.8.8.8
		{"100.63.255.255", true, true},   // just below CGNAT
		{"100.128.0.0", true, true},      // just above CGNAT
		{"172.15.255.255", true, true},   // just below 172.16/12
		{"172.32.0.0", true, true},       // just above 172.16/12
		{"198.17.255.255", true, true},   // just below benchmarking
		{"198.20.0.0", true, true},       // just above benchmarking
		{"223.255.255.255", true, true},  // last unicast before multicast
		{"2001:200::1", true, true},      // just above 2001::/23
		{"2a00:1450:4001:82a::200e", true, true},

		// Loopback.
		{"127.0.0.1", false, true},
		{"127.255.255.254", false, true},
		{"::1", false, true},
		// Private.
		{"10.0.0.1", false, true},
		{"10.255.255.255", false, true},
		{"172.16.0.1", false, true},
		{"172.31.255.255", false, true},
		{"192.168.1.1", false, true},
		{"fc00::1", false, true},
		{"fd12:3456:789a::1", false, true},
		// Link-local.
		{"169.254.1.1", false, true},
		{"fe80::1", false, true},
		{"fe80::1%eth0", false, true},
		// CGNAT.
		{"100.64.0.1", false, true},
		{"100.127.255.254", false, true},
		// Multicast, unspecified, broadcast, "this network", reserved.
		{"224.0.0.1", false, true},
		{"239.255.255.250", false, true},
		{"ff02::1", false, true},
		{"0.0.0.0", false, true},
		{"::", false, true},
		{"0.1.2.3", false, true},
		{"255.255.255.255", false, true},
		{"240.0.0.1", false, true},
		// Benchmarking and documentation.
		{"198.18.0.1", false, true},
		{"198.19.255.255", false, true},
		{"192.0.2.1", false, true},
		{"198.51.100.1", false, true},
		{"203.0.113.1", false, true},
		{"2001:db8::1", false, true},
		{"3fff::1", false, true},
		{"192.0.0.8", false, true},
		{"2001:2::1", false, true},
		{"2001::1", false, true}, // Teredo
		// IPv4-mapped, -compatible, -translated, NAT64 and 6to4 forms of private addresses.
		{"::ffff:10.0.0.1", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"::ffff:169.254.1.1", false, true},
		{"::10.0.0.1", false, true},
		{"::8.8.8.8", false, true},
		{"::ffff:0:10.0.0.1", false, true},
		{"64:ff9b::a00:1", false, true},
		{"64:ff9b::7f00:1", false, true},
		{"64:ff9b:1::808:808", false, true},
		{"2002:a00:1::1", false, true},
		{"2002:c0a8:101::1", false, true},
		{"2002:7f00:1::1", false, true},
		// Non-global IPv6.
		{"100::1", false, true},
		{"4000::1", false, true},
		{"fec0::1", false, true},
		// Cloud metadata: refused even with AllowPrivate.
		{"169.254.169.254", false, false},
		{"::ffff:169.254.169.254", false, false},
		{"64:ff9b::a9fe:a9fe", false, false},
		{"2002:a9fe:a9fe::1", false, false},
		{"169.254.170.2", false, false},
		{"fd00:ec2::254", false, false},
		{"100.100.100.200", false, false},
		{"192.0.0.192", false, false},
	}
	strict := &Policy{}
	dev := &Policy{AllowPrivate: true}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.addr)
			if got := strict.Allowed(ip); got != tt.strict {
				t.Errorf("strict Allowed(%s) = %v, want %v", ip, got, tt.strict)
			}
			if got := dev.Allowed(ip); got != tt.dev {
				t.Errorf("AllowPrivate Allowed(%s) = %v, want %v", ip, got, tt.dev)
			}
		})
	}
}

func TestAllowedInvalidAddress(t *testing.T) {
	for _, p := range []*Policy{{}, {AllowPrivate: true}, {Allow: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}}} {
		if p.Allowed(netip.Addr{}) {
			t.Errorf("%+v: Allowed(zero Addr) = true", p)
		}
	}
}

func TestAllowPrefixOpensRange(t *testing.T) {
	p := &Policy{Allow: []netip.Prefix{
		netip.MustParsePrefix("10.1.0.0/16"),
		netip.MustParsePrefix("169.254.169.254/32"),
		netip.MustParsePrefix("fd00:1::/32"),
	}}
	tests := []struct {
		addr string
		want bool
	}{
		{"10.1.2.3", true},
		{"::ffff:10.1.2.3", true},
		{"64:ff9b::a01:203", true},
		{"2002:a01:203::1", true},
		{"10.2.0.1", false},
		{"169.254.169.254", true},
		{"169.254.169.253", false},
		{"fd00:1::5", true},
		{"fd00:2::5", false},
		{"127.0.0.1", false},
		{"8.8.8.8", true},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			if got := p.Allowed(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("Allowed(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestForbiddenErrorExplains(t *testing.T) {
	tests := []struct {
		host, addr string
		want       []string
	}{
		{"", "10.0.0.1", []string{"10.0.0.1 is a private address", "--dev", "allowlist"}},
		{"public.example.com", "127.0.0.1", []string{"public.example.com resolves to 127.0.0.1, which is a loopback address", "loopback", "--dev", "allowlist"}},
		{"", "::ffff:192.168.1.1", []string{"::ffff:192.168.1.1 (which reaches 192.168.1.1) is a private address"}},
		{"", "64:ff9b::a00:5", []string{"(which reaches 10.0.0.5)"}},
		{"", "169.254.169.254", []string{"cloud metadata", "even with --dev", "169.254.169.254/32 to the allowlist"}},
		{"", "fd00:ec2::254", []string{"cloud metadata", "fd00:ec2::254/128 to the allowlist"}},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := (&Policy{}).check(tt.host, netip.MustParseAddr(tt.addr))
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("check = %v, want ErrForbiddenAddress", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}
