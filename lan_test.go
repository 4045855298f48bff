// lan_test.go tests the choice of this machine's LAN addresses.

package main

import (
	"net"
	"testing"
)

func TestVirtualInterfacesAreNotTheLAN(t *testing.T) {
	for name, virtual := range map[string]bool{
		"eth0": false, "wlan0": false, "enp3s0": false, "wlp2s0": false, "end0": false,
		"docker0": true, "br-3f2a9c": true, "veth12ab": true, "virbr0": true, "cni0": true, "podman0": true,
	} {
		if virtualInterface(name) != virtual {
			t.Errorf("virtualInterface(%q) = %v", name, !virtual)
		}
	}
}

func TestLANAddressIsOneOfTheMachines(t *testing.T) {
	ips := lanIPs()
	for _, ip := range ips {
		if ip.IsLoopback() || ip.IsLinkLocalUnicast() {
			t.Errorf("lanIPs has %v", ip)
		}
	}
	got := lanAddress()
	if got == "localhost" {
		for _, ip := range ips {
			if ip.To4() != nil && ip.IsPrivate() {
				t.Errorf("lanAddress is localhost, but the machine has %v", ip)
			}
		}
		return
	}
	ip := net.ParseIP(got)
	if ip == nil || !ip.IsPrivate() {
		t.Fatalf("lanAddress = %q, not a private address", got)
	}
	found := false
	for _, own := range ips {
		found = found || own.Equal(ip)
	}
	if !found {
		t.Errorf("lanAddress %v is not among the machine's %v", ip, ips)
	}
}
