// mdns_test.go tests what Hearth announces on the LAN: the DNS-SD records
// it answers with, and, where the network carries multicast, a real query.

package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/mdns"
	"github.com/miekg/dns"
)

// TestMDNSZoneAnswers asks the zone Hearth serves the questions a phone
// browsing for web services asks, in the order it asks them.
func TestMDNSZoneAnswers(t *testing.T) {
	for _, https := range []bool{false, true} {
		zone, err := mdnsZone(8443, https)
		if err != nil {
			t.Fatal(err)
		}
		service := "_http._tcp.local."
		if https {
			service = "_https._tcp.local."
		}
		ask := func(name string, qtype uint16) []dns.RR {
			return zone.Records(dns.Question{Name: name, Qtype: qtype, Qclass: dns.ClassINET})
		}

		var instance string
		for _, rr := range ask(service, dns.TypePTR) {
			if ptr, ok := rr.(*dns.PTR); ok {
				instance = ptr.Ptr
			}
		}
		// One label before the service: a dotted host name would make it two.
		if !strings.HasPrefix(instance, "Hearth on ") || !strings.HasSuffix(instance, "."+service) || strings.Count(instance, ".") != strings.Count(service, ".")+1 {
			t.Fatalf("https=%v: PTR %s answered %q", https, service, instance)
		}
		var srv *dns.SRV
		for _, rr := range ask(instance, dns.TypeSRV) {
			if s, ok := rr.(*dns.SRV); ok {
				srv = s
			}
		}
		if srv == nil || srv.Port != 8443 || srv.Target != mdnsHost {
			t.Errorf("https=%v: SRV %s answered %v", https, instance, srv)
		}
		var txt []string
		for _, rr := range ask(instance, dns.TypeTXT) {
			if x, ok := rr.(*dns.TXT); ok {
				txt = x.Txt
			}
		}
		if len(txt) != 1 || txt[0] != "path=/" {
			t.Errorf("https=%v: TXT answered %q", https, txt)
		}
		if ips := lanIPs(); len(ips) > 0 {
			var addrs []string
			for _, rr := range append(ask(mdnsHost, dns.TypeA), ask(mdnsHost, dns.TypeAAAA)...) {
				switch a := rr.(type) {
				case *dns.A:
					addrs = append(addrs, a.A.String())
				case *dns.AAAA:
					addrs = append(addrs, a.AAAA.String())
				}
			}
			if fmt.Sprint(addrs) != fmt.Sprint(ips) {
				t.Errorf("https=%v: %s answered %v, the machine has %v", https, mdnsHost, addrs, ips)
			}
		}
		if rrs := ask("other.local.", dns.TypeANY); len(rrs) != 0 {
			t.Errorf("answered a name that is not ours: %v", rrs)
		}
	}
}

// TestMDNSAnnouncement queries the LAN for Hearth's service the way a
// browser does. Containers often have no multicast route; then it skips.
func TestMDNSAnnouncement(t *testing.T) {
	stop, err := announce(8443, true)
	if err != nil {
		t.Skipf("multicast DNS cannot listen here: %v", err)
	}
	defer stop()
	entries := make(chan *mdns.ServiceEntry, 16)
	params := mdns.DefaultParams("_https._tcp")
	params.Entries = entries
	params.Timeout = 2 * time.Second
	params.DisableIPv6 = true
	params.Logger = log.New(io.Discard, "", 0)
	done := make(chan error, 1)
	go func() { done <- mdns.Query(params); close(entries) }()
	var found *mdns.ServiceEntry
	for e := range entries {
		if strings.HasPrefix(e.Name, "Hearth on ") {
			found = e
		}
	}
	if err := <-done; err != nil {
		t.Skipf("multicast DNS queries cannot be sent here: %v", err)
	}
	if found == nil {
		t.Skip("no multicast route here: the announcement was not heard (TestMDNSZoneAnswers checks the records)")
	}
	if found.Port != 8443 || found.Host != mdnsHost {
		t.Errorf("announced %+v", found)
	}
}

// TestServerAnnouncesOnlyOnTheLAN: a server reachable from the LAN says
// where it is found; one on loopback or with -mdns=false does not announce.
func TestServerAnnouncesOnlyOnTheLAN(t *testing.T) {
	for _, tc := range []struct {
		name     string
		addr     string
		mdns     bool
		announce bool
	}{
		{"all interfaces", ":0", true, true},
		{"turned off", ":0", false, false},
		{"loopback only", "127.0.0.1:0", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.MDNS = tc.mdns
			ln, err := net.Listen("tcp", tc.addr)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			a, err := startApp(cfg, ln, &out)
			if err != nil {
				t.Fatal(err)
			}
			defer a.shutdown(context.Background())
			if tc.announce && a.unannounce == nil {
				t.Skip("multicast DNS cannot listen here (the server logged why and serves on)")
			}
			want := fmt.Sprintf("http://hearth.local:%d\n", ln.Addr().(*net.TCPAddr).Port)
			if got := strings.Contains(out.String(), want); got != tc.announce || (a.unannounce != nil) != tc.announce {
				t.Errorf("printed %q; announced %v, want %v", out.String(), a.unannounce != nil, tc.announce)
			}
		})
	}
}
