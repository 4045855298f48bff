// frames.go owns what the server sends on a socket: the frame types of
// PROTOCOL.md and their encoding, once, into complete WebSocket frames that
// every recipient's writer appends to its batch as bytes.

package main

import (
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"strconv"
)

// frame is one complete WebSocket text frame, header included, encoded
// once and written as is to every recipient. Its bytes are never modified.
type frame []byte

// frames take one slot of a connection's send queue together: a committed
// batch of messages, or a presence event's frame for every room.
type frames []frame

// size is the bytes of f, counted against a connection's queue bound.
func (f frames) size() int64 {
	var n int64
	for _, fr := range f {
		n += int64(len(fr))
	}
	return n
}

// helloFrame is a socket's first frame (see PROTOCOL.md), less its
// "online" list: prepareHello puts that in already encoded, as it is most
// of a hello and the same for every socket until someone comes or goes.
type helloFrame struct {
	Type    string   `json:"type"`
	User    string   `json:"user"`
	Admin   bool     `json:"admin"`
	Rooms   []string `json:"rooms"`
	MaxBody int      `json:"max_body"`
	// Notice is the server's current notice, for admins only (absent
	// when there is none).
	Notice *noticeFrame `json:"notice,omitempty"`
}

// prepareHello is prepare for a hello, with online, a JSON array of
// names, as its "online". It is written out by hand rather than by
// json.Marshal, straight into the frame, because every socket that
// connects gets one: it was the dearest step of registering a socket.
// The output is json.Marshal's (TestPrepareHelloIsMarshals).
func prepareHello(hello helloFrame, online []byte) frames {
	var notice []byte
	if hello.Notice != nil {
		var err error
		if notice, err = json.Marshal(hello.Notice); err != nil {
			slog.Error("encode hello", "err", err)
			return nil
		}
	}
	size := maxFrameHeader + 96 + len(hello.User) + len(online) + len(notice)
	for _, r := range hello.Rooms {
		size += len(r) + 3
	}
	f := make([]byte, maxFrameHeader, size)
	f = append(f, `{"type":`...)
	f = appendJSONString(f, hello.Type)
	f = append(f, `,"user":`...)
	f = appendJSONString(f, hello.User)
	f = append(f, `,"admin":`...)
	f = strconv.AppendBool(f, hello.Admin)
	f = append(f, `,"rooms":[`...)
	for i, r := range hello.Rooms {
		if i > 0 {
			f = append(f, ',')
		}
		f = appendJSONString(f, r)
	}
	f = append(f, `],"max_body":`...)
	f = strconv.AppendInt(f, int64(hello.MaxBody), 10)
	if notice != nil {
		f = append(f, `,"notice":`...)
		f = append(f, notice...)
	}
	f = append(f, `,"online":`...)
	f = append(f, online...)
	f = append(f, '}')
	return frames{frameInPlace(f)}
}

// appendJSONString appends s as a JSON string. Names (the most of what it
// is given) are plain ASCII and are copied; anything else is left to
// encoding/json, so the escaping is always its own.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// noticeFrame tells admins of a condition of the server itself that they
// should act on; the client shows it as a banner until a notice of the
// same kind with level "ok" takes it down. The one kind so far is "disk"
// (disk.go): level "warning" when uploads are paused, "error" when new
// messages are refused.
type noticeFrame struct {
	Type    string `json:"type"`  // "notice"
	Kind    string `json:"kind"`  // "disk"
	Level   string `json:"level"` // "ok", "warning" or "error"
	Message string `json:"message,omitempty"`
}

type presenceFrame struct {
	Type   string   `json:"type"`
	Room   string   `json:"room"`
	User   string   `json:"user"`
	Event  string   `json:"event"`
	Online []string `json:"online"`
}

type roomFrame struct {
	Type     string   `json:"type"`
	Room     string   `json:"room"`
	Private  bool     `json:"private,omitempty"`
	DM       bool     `json:"dm,omitempty"`
	Members  []string `json:"members,omitempty"`
	Archived bool     `json:"archived,omitempty"`
}

type roomRenamedFrame struct {
	Type string `json:"type"`
	Room string `json:"room"` // the new name
	From string `json:"from"`
}

func roomFrameFor(r room) roomFrame {
	return roomFrame{Type: "room", Room: r.Name, Private: r.Private, DM: r.DM, Members: r.Members, Archived: r.Archived}
}

type readFrame struct {
	Type string `json:"type"`
	Room string `json:"room"`
	ID   uint64 `json:"id"`
}

type typingFrame struct {
	Type string `json:"type"`
	Room string `json:"room"`
	User string `json:"user"`
}

// profileFrame tells every socket that a person's display name, picture
// or time zone changed (profiles.go), as they are now.
type profileFrame struct {
	Type string `json:"type"` // "profile"
	User string `json:"user"`
	profile
}

type errorFrame struct {
	Type     string `json:"type"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	ClientID string `json:"client_id,omitempty"`
}

func newErrorFrame(code, msg, clientID string) errorFrame {
	return errorFrame{Type: "error", Code: code, Message: msg, ClientID: clientID}
}

// prepare encodes v once, as a whole frame, so every recipient shares the
// same bytes and writing it costs one copy into a connection's batch.
func prepare(v any) frames {
	payload, err := json.Marshal(v)
	if err != nil {
		slog.Error("encode frame", "err", err)
		return nil
	}
	return frames{textFrame(payload)}
}

// maxFrameHeader is the longest header textFrame writes.
const maxFrameHeader = 10

// textFrame wraps payload in an unmasked, unfragmented server-to-client text
// frame (RFC 6455 section 5.2): FIN and opcode 1, then the length in 7, 16
// or 64 bits.
func textFrame(payload []byte) frame {
	f := make([]byte, maxFrameHeader, maxFrameHeader+len(payload))
	return frameInPlace(append(f, payload...))
}

// frameInPlace makes a text frame of f's payload, which follows
// maxFrameHeader bytes left free for the header: a frame built in place
// is not copied.
func frameInPlace(f []byte) frame {
	n := len(f) - maxFrameHeader
	var h []byte
	switch {
	case n < 126:
		h = f[maxFrameHeader-2 : maxFrameHeader]
		h[0], h[1] = 0x81, byte(n)
	case n <= 0xFFFF:
		h = f[maxFrameHeader-4 : maxFrameHeader]
		h[0], h[1] = 0x81, 126
		binary.BigEndian.PutUint16(h[2:], uint16(n))
	default:
		h = f[:maxFrameHeader]
		h[0], h[1] = 0x81, 127
		binary.BigEndian.PutUint64(h[2:], uint64(n))
	}
	return f[maxFrameHeader-len(h):]
}
