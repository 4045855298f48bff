// lan.go owns how this machine is reached on the LAN: its addresses, for
// the mDNS announcement, and the one address to print in links for other
// devices.

package main

import (
	"net"
	"strings"
)

// virtualInterfacePrefixes name the bridges and tunnels of containers and
// VMs (Docker, libvirt, podman): their addresses mean nothing to a phone.
var virtualInterfacePrefixes = []string{"docker", "br-", "veth", "virbr", "cni", "podman"}

func virtualInterface(name string) bool {
	for _, p := range virtualInterfacePrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// lanIPs are the addresses of the machine's up interfaces, loopback,
// link-local and container bridges aside.
func lanIPs() []net.IP {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []net.IP
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 || virtualInterface(iface.Name) {
			continue
		}
		addrs, err := iface.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				out = append(out, ipn.IP)
			}
		}
	}
	return out
}

// lanAddress is the address to put in links for other devices: the one
// this machine sends from by default, when that is a LAN address; else its
// first private IPv4 address; else "localhost".
func lanAddress() string {
	ips := lanIPs()
	// Connecting UDP sends nothing; it only asks the kernel which source
	// address its routes pick. An offline LAN may have no default route.
	if c, err := net.Dial("udp4", "192.0.2.1:9"); err == nil {
		src := c.LocalAddr().(*net.UDPAddr).IP
		c.Close()
		for _, ip := range ips {
			if ip.Equal(src) && ip.IsPrivate() {
				return ip.String()
			}
		}
	}
	for _, ip := range ips {
		if ip.To4() != nil && ip.IsPrivate() {
			return ip.String()
		}
	}
	return "localhost"
}
