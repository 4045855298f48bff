// mdns.go owns being found on the LAN: Hearth announces itself with
// mDNS/DNS-SD (RFC 6762/6763), as the host hearth.local and a web service
// browsers and phones can discover, unless -mdns=false.

package main

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/hashicorp/mdns"
)

// mdnsHost is the name Hearth answers to on the LAN.
const mdnsHost = "hearth.local."

// mdnsZone is what Hearth answers: the service instance "Hearth on <host>"
// of _http._tcp (or _https._tcp) on port, at hearth.local with the
// machine's LAN addresses.
func mdnsZone(port int, https bool) (*mdns.MDNSService, error) {
	ips := lanIPs()
	if len(ips) == 0 {
		// The library would ask the system's DNS for hearth.local instead,
		// which may hang or answer with another machine.
		return nil, errors.New("mdns: this machine has no LAN address to announce")
	}
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".") // a dotted name would break the instance name
	if host == "" {
		host = "this machine"
	}
	service := "_http._tcp"
	if https {
		service = "_https._tcp"
	}
	zone, err := mdns.NewMDNSService("Hearth on "+host, service, "", mdnsHost, port, ips, []string{"path=/"})
	if err != nil {
		return nil, fmt.Errorf("mdns service: %w", err)
	}
	return zone, nil
}

// announce answers mDNS queries for Hearth until stop is called.
func announce(port int, https bool) (stop func(), err error) {
	zone, err := mdnsZone(port, https)
	if err != nil {
		return nil, err
	}
	// The library logs every malformed packet on the LAN; that is noise.
	server, err := mdns.NewServer(&mdns.Config{Zone: zone, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		return nil, fmt.Errorf("mdns: %w", err)
	}
	return func() { server.Shutdown() }, nil
}
