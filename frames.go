// frames.go owns what the server sends on a socket: the frame types of
// PROTOCOL.md and their encoding, once, into complete WebSocket frames that
// every recipient's writer appends to its batch as bytes.

package main

import (
	"encoding/binary"
	"encoding/json"
	"log/slog"
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
// names, as its "online".
func prepareHello(hello helloFrame, online []byte) frames {
	head, err := json.Marshal(hello)
	if err != nil {
		slog.Error("encode hello", "err", err)
		return nil
	}
	payload := make([]byte, 0, len(head)+len(`,"online":`)+len(online))
	payload = append(payload, head[:len(head)-1]...) // without its closing brace
	payload = append(payload, `,"online":`...)
	payload = append(payload, online...)
	return frames{textFrame(append(payload, '}'))}
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

// textFrame wraps payload in an unmasked, unfragmented server-to-client text
// frame (RFC 6455 section 5.2): FIN and opcode 1, then the length in 7, 16
// or 64 bits.
func textFrame(payload []byte) frame {
	n := len(payload)
	f := make([]byte, 0, n+10)
	switch {
	case n < 126:
		f = append(f, 0x81, byte(n))
	case n <= 0xFFFF:
		f = append(f, 0x81, 126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 0x81, 127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	return append(f, payload...)
}
