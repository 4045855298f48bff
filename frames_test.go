package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// prepareHello writes a hello by hand; what it writes must be exactly what
// json.Marshal writes for the same hello, whatever the names hold, and a
// well-formed frame of any length.
func TestPrepareHelloIsMarshals(t *testing.T) {
	manyNames := make([]string, 8000) // a payload past 65535 bytes: the 64-bit length
	for i := range manyNames {
		manyNames[i] = "someone"
	}
	for _, tc := range []struct {
		name   string
		hello  helloFrame
		online []string
	}{
		{"plain", helloFrame{User: "ann", Rooms: []string{"general"}, MaxBody: 4096}, []string{"ann", "bob"}},
		{"no rooms, nobody", helloFrame{User: "ann", Rooms: []string{}, MaxBody: 1}, []string{}},
		{"admin with a notice", helloFrame{User: "mum", Admin: true, Rooms: []string{"general", "@dad+mum"}, MaxBody: 65536,
			Notice: &noticeFrame{Type: "notice", Kind: "disk", Level: "warning", Message: `Disk "low": <1 GiB & falling`}}, []string{"mum"}},
		{"names that need escaping", helloFrame{User: "a\"b\\c<d>&e\u2028f\x01g\xffh ünï", Rooms: []string{"x\ty", "émoji 🙂"}, MaxBody: 7}, []string{"a\"b"}},
		{"only what HTML escapes", helloFrame{User: "<b>&", Rooms: []string{"general"}, MaxBody: 1}, []string{}},
		{"only a control", helloFrame{User: "a\x7fb\x1fc", Rooms: []string{"general"}, MaxBody: 1}, []string{}},
		{"a 16-bit length", helloFrame{User: strings.Repeat("u", 200), Rooms: []string{"general"}, MaxBody: 4096}, []string{"ann"}},
		{"a 64-bit length", helloFrame{User: "ann", Rooms: []string{"general"}, MaxBody: 4096}, manyNames},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.hello.Type = "hello"
			online, _ := json.Marshal(tc.online)
			fs := prepareHello(tc.hello, online)
			if len(fs) != 1 {
				t.Fatalf("%d frames, want 1", len(fs))
			}
			want, err := json.Marshal(struct {
				helloFrame
				Online []string `json:"online"`
			}{tc.hello, tc.online})
			if err != nil {
				t.Fatal(err)
			}
			if got := payloadOf(t, fs[0]); !bytes.Equal(got, want) {
				t.Errorf("hello\n got %s\nwant %s", got, want)
			}
		})
	}
}

// payloadOf checks f's header (FIN, text, the shortest length that fits)
// and returns its payload.
func payloadOf(t *testing.T, f frame) []byte {
	t.Helper()
	if len(f) < 2 || f[0] != 0x81 {
		t.Fatalf("frame starts % x, want 81", f[:min(len(f), 2)])
	}
	var n, at int
	switch l := int(f[1]); {
	case l < 126:
		n, at = l, 2
	case l == 126:
		n, at = int(f[2])<<8|int(f[3]), 4
		if n < 126 {
			t.Errorf("16-bit length for %d bytes", n)
		}
	default:
		for _, b := range f[2:10] {
			n = n<<8 | int(b)
		}
		at = 10
		if n <= 0xFFFF {
			t.Errorf("64-bit length for %d bytes", n)
		}
	}
	if len(f)-at != n {
		t.Fatalf("frame says %d bytes, holds %d", n, len(f)-at)
	}
	return f[at:]
}
