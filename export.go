// export.go owns getting history out of Hearth in forms that need no
// Hearth to read: JSON lines (one message a line), a self-contained HTML
// archive with the shared images beside it, readable in any browser, and
// one room as a single HTML file with its photos inside, for an admin to
// download. The HTML shows people as the chat does: by display name, with
// their profile picture.

package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// exportJSONLines writes the messages of rooms (every room when empty) as
// JSON lines, room by room, oldest first.
func exportJSONLines(st *store, rooms []string, w io.Writer) (int, error) {
	enc := json.NewEncoder(w)
	n := 0
	for _, name := range rooms {
		err := st.eachMessage(name, func(m message) error {
			n++
			return enc.Encode(m)
		})
		if err != nil {
			return n, fmt.Errorf("export %s: %w", name, err)
		}
	}
	return n, nil
}

// archivePage returns the template of one room's page of an HTML archive.
// src says where a shared file is: a string is a URL escaped as usual (a
// file beside the page, or on the server); a template.URL is a data: URI
// the export made itself from an image's bytes, shown as it is and not
// linked again (which would double it).
func archivePage(src func(*attachment) any) *template.Template {
	return template.Must(template.New("room").Funcs(template.FuncMap{
		"time":   func(t time.Time) string { return t.Local().Format("Mon 2 Jan 2006 15:04") },
		"image":  func(a *attachment) bool { return a != nil && slices.Contains(inlineTypes, a.Type) },
		"src":    src,
		"inline": func(v any) bool { _, ok := v.(template.URL); return ok },
	}).Parse(archiveHTML))
}

const archiveHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}: Hearth archive</title>
<style>
body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:48rem;padding:1rem;color:#2a2119;background:#fbf7f2}
@media (prefers-color-scheme:dark){body{color:#efe6da;background:#17140f}a{color:#ff7a3d}.t,.d{color:#a89a8a}}
h1{font-size:1.3rem} nav a{margin-right:.75rem}
.m{padding:.4rem 0;border-bottom:1px solid rgba(128,128,128,.2)} .u{font-weight:700} .t{color:#6b5e52;font-size:.8rem;margin-left:.4rem}
.b{white-space:pre-wrap;overflow-wrap:anywhere} .d{color:#6b5e52;font-style:italic} img{max-width:100%;max-height:20rem;border-radius:8px;display:block;margin-top:.3rem}
.a{display:inline-block;width:1.5rem;height:1.5rem;border-radius:6px;background-size:cover;vertical-align:middle;margin-right:.4rem}
{{.Pictures}}
</style></head><body>
{{with .Rooms}}<nav>{{range .}}<a href="{{.File}}">{{.Title}}</a>{{end}}</nav>{{end}}
<h1>{{.Title}}</h1>{{with .Note}}<p class="t">{{.}}</p>{{end}}
{{range .Messages}}{{$p := index $.People .User}}<div class="m" id="m{{.ID}}">{{with $p.Picture}}<span class="a {{.}}"></span>{{end}}<span class="u" title="@{{.User}}"><bdi>{{or $p.Name .User}}</bdi></span><span class="t">{{time .TS}}{{if not .Edited.IsZero}} (edited){{end}}</span>{{if .ReplyTo}} <a class="t" href="#m{{.ReplyTo}}">↩ reply to an earlier message</a>{{end}}
{{if .Deleted}}<div class="b d">This message was deleted.</div>{{else}}<div class="b">{{.Body}}</div>{{end}}
{{with .File}}{{$s := src .}}{{if and (image .) (inline $s)}}<img src="{{$s}}" alt="{{.Name}}">{{else if image .}}<a href="{{$s}}"><img src="{{$s}}" alt="{{.Name}}"></a>{{else}}<a href="{{$s}}" download>{{.Name}}</a>{{end}}{{end}}</div>
{{else}}<p>Nothing was said here.</p>{{end}}
</body></html>
`

type archiveRoom struct{ Title, File string }

// archivePerson is how an archive shows someone: their display name ("":
// their login name) and the class of the style rule holding their
// profile picture ("": none).
type archivePerson struct{ Name, Picture string }

// archivePeople returns how an archive shows the writers of msgs, and the
// style rules that hold their pictures: each picture once per page, as a
// data: URI, however many messages show it. Bots, and accounts gone, are
// shown by name.
func archivePeople(st *store, msgs []message) (map[string]archivePerson, template.CSS) {
	people := map[string]archivePerson{}
	var rules strings.Builder
	for _, m := range msgs {
		if _, done := people[m.User]; done {
			continue
		}
		var p archivePerson
		if u, err := st.getUser(m.User); err == nil && !m.Bot {
			p.Name = u.DisplayName
			if pic, _, err := st.avatar(m.User); err == nil {
				// Classes are numbered: a login name may hold dots.
				p.Picture = fmt.Sprintf("p%d", len(people))
				fmt.Fprintf(&rules, ".%s{background-image:url(data:image/jpeg;base64,%s)}\n", p.Picture, base64.StdEncoding.EncodeToString(pic))
			}
		}
		people[m.User] = p
	}
	// The rules are this function's own text: class names it made and
	// base64, nothing anyone wrote.
	return people, template.CSS(rules.String())
}

// archiveExts are the extensions an archived file may keep, by its sniffed
// type: types a browser shows inertly when opened from the archive's folder.
// Every other file ends in ".bin", so that an uploaded page or script
// (.html, .svg, .js…) never becomes a page beside the archive, free to
// read the files next to it.
var archiveExts = map[string][]string{
	"image/png":       {".png"},
	"image/jpeg":      {".jpg", ".jpeg"},
	"image/gif":       {".gif"},
	"image/webp":      {".webp"},
	"text/plain":      {".txt"},
	"application/pdf": {".pdf"},
}

// archiveFileName names a shared file in the archive's files/: its id, its
// cleaned name, and an extension its sniffed type allows (see archiveExts),
// appended when the name does not already end in it.
func archiveFileName(a *attachment) string {
	name := strconv.FormatUint(a.ID, 10) + "-" + cleanFileName(a.Name)
	typ, _, _ := strings.Cut(a.Type, ";")
	exts, ok := archiveExts[typ]
	if !ok {
		return name + ".bin"
	}
	if slices.Contains(exts, strings.ToLower(filepath.Ext(name))) {
		return name
	}
	return name + exts[0]
}

// createPrivate creates (or truncates) the file at path for its owner
// only: 0600 whatever the umask, and also when an earlier export left it
// with another mode.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// writePrivate writes data to a file at path made by createPrivate.
func writePrivate(path string, data []byte) error {
	f, err := createPrivate(path)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// exportFile copies the bytes of file id, as they stream from the store,
// into a file made by createPrivate at path. A file gone from the store
// (deleted with its message meanwhile) is skipped.
func exportFile(st *store, id uint64, path string) error {
	_, body, err := st.openFile(id)
	if errors.Is(err, errFileNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	f, err := createPrivate(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export file %d: %w", id, err)
	}
	return nil
}

// exportHTML writes an archive of every room into dir: one page per room,
// an index, and the shared files under files/. The archive holds DMs and
// private rooms, so it is its owner's only, like the database: files 0600,
// and dir (when this makes it) and files/ 0700, whatever the umask. A dir
// that already exists keeps its mode: it is the owner's choice, and what
// this writes into it is private anyway.
func exportHTML(st *store, dir string) (int, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return 0, err
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return 0, err
		}
	}
	files := filepath.Join(dir, "files")
	if err := os.Mkdir(files, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return 0, err
	}
	if err := os.Chmod(files, 0o700); err != nil {
		return 0, err
	}
	rooms := st.listRooms()
	var nav []archiveRoom
	for i, r := range rooms {
		nav = append(nav, archiveRoom{archiveTitle(r), "room-" + strconv.Itoa(i) + ".html"})
	}
	page := archivePage(func(a *attachment) any { return "files/" + archiveFileName(a) })
	total := 0
	for i, r := range rooms {
		var msgs []message
		err := st.eachMessage(r.Name, func(m message) error {
			if m.File != nil {
				if err := exportFile(st, m.File.ID, filepath.Join(files, archiveFileName(m.File))); err != nil {
					return err
				}
			}
			msgs = append(msgs, m)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += len(msgs)
		f, err := createPrivate(filepath.Join(dir, nav[i].File))
		if err != nil {
			return total, err
		}
		people, pictures := archivePeople(st, msgs)
		err = page.Execute(f, map[string]any{"Title": nav[i].Title, "Rooms": nav, "Messages": msgs, "People": people, "Pictures": pictures})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return total, fmt.Errorf("write %s: %w", nav[i].File, err)
		}
	}
	index := filepath.Join(dir, "index.html")
	if len(nav) > 0 {
		data, err := os.ReadFile(filepath.Join(dir, nav[0].File))
		if err != nil {
			return total, err
		}
		return total, writePrivate(index, data)
	}
	return total, nil
}

// exportCommand: hearth export -db PATH [-html DIR], with the server
// stopped (or on a backup). Without -html it writes JSON lines to stdout.
func exportCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", envOr("HEARTH_DB", "hearth.db"), "database file (or a backup)")
	htmlDir := fs.String("html", "", "write an HTML archive into this directory instead")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	db, err := openDB(*dbPath, true)
	if err != nil {
		return err
	}
	defer db.Close()
	st := &store{db: db, path: *dbPath}
	if err := st.loadRooms(); err != nil {
		return err
	}
	if *htmlDir != "" {
		n, err := exportHTML(st, *htmlDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %d messages to %s (open index.html)\n", n, *htmlDir)
		return nil
	}
	rooms := st.listRooms()
	names := make([]string, len(rooms))
	for i, r := range rooms {
		names[i] = r.Name
	}
	_, err = exportJSONLines(st, names, stdout)
	return err
}

// archiveTitle is how an archive names a room.
func archiveTitle(r room) string {
	if r.DM {
		return "DM " + r.Members[0] + " and " + r.Members[len(r.Members)-1]
	}
	return "#" + r.Name
}

// Limits of the photos one room's HTML file carries inside it; beyond
// them a photo is a link to the server's copy, as other files are.
const (
	maxInlineImage  = 8 << 20  // bytes of one photo
	maxInlineImages = 64 << 20 // bytes of all of them
)

// writeRoomHTML writes one room's history as a single HTML page: html/template
// escapes everything said, photos come inside as data: URIs (up to the
// limits above) and other files link to base (the server) + /api/files/ID,
// which opens for whoever is logged in there. It returns how many messages
// it wrote.
func writeRoomHTML(st *store, rm room, base string, w io.Writer) (int, error) {
	var msgs []message
	if err := st.eachMessage(rm.Name, func(m message) error { msgs = append(msgs, m); return nil }); err != nil {
		return 0, fmt.Errorf("export %s: %w", rm.Name, err)
	}
	return len(msgs), writeRoomPage(st, archiveTitle(rm), msgs, base, w)
}

// writeRoomPage is writeRoomHTML's page: msgs under title, their files
// read from st.
func writeRoomPage(st *store, title string, msgs []message, base string, w io.Writer) error {
	var inlined int64
	page := archivePage(func(a *attachment) any {
		if slices.Contains(inlineTypes, a.Type) && a.Size <= maxInlineImage && inlined+a.Size <= maxInlineImages {
			if uri, err := dataURI(st, a.ID); err == nil {
				inlined += a.Size
				return uri
			}
		}
		return base + "/api/files/" + strconv.FormatUint(a.ID, 10)
	})
	note := fmt.Sprintf("Saved from Hearth on %s: %d messages.", time.Now().Local().Format("Mon 2 Jan 2006 15:04"), len(msgs))
	people, pictures := archivePeople(st, msgs)
	return page.Execute(w, map[string]any{"Title": title, "Note": note, "Messages": msgs, "People": people, "Pictures": pictures})
}

// dataURI is file id as a data: URI, its bytes streamed from the store
// into the base64 encoder: only the encoded text is held whole, as the
// page needs it.
func dataURI(st *store, id uint64) (template.URL, error) {
	a, body, err := st.openFile(id)
	if err != nil {
		return "", err
	}
	var uri strings.Builder
	uri.Grow(len("data:;base64,") + len(a.Type) + base64.StdEncoding.EncodedLen(int(a.Size)))
	uri.WriteString("data:" + a.Type + ";base64,")
	enc := base64.NewEncoder(base64.StdEncoding, &uri)
	if _, err := io.Copy(enc, body); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return template.URL(uri.String()), nil
}

// handleAdminExport downloads one room's history: as one HTML page to read
// with ?format=html, else as JSON lines.
func (s *server) handleAdminExport(w http.ResponseWriter, r *http.Request, sess session, u user) {
	name := r.PathValue("room")
	rm, ok := s.st.room(name)
	if !ok {
		writeError(w, http.StatusNotFound, "no such room")
		return
	}
	if r.URL.Query().Get("format") == "html" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="hearth-`+cleanFileName(name)+`.html"`)
		w.Header().Set("Cache-Control", "no-store")
		n, err := writeRoomHTML(s.st, rm, s.shareURL(r), w)
		if err != nil {
			slog.Error("export room", "room", name, "err", err)
			return
		}
		s.record(u.Name, "export room", name, fmt.Sprintf("%d messages, HTML", n))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="hearth-`+cleanFileName(name)+`.jsonl"`)
	w.Header().Set("Cache-Control", "no-store")
	n, err := exportJSONLines(s.st, []string{name}, w)
	if err != nil && !errors.Is(err, errRoomNotFound) {
		slog.Error("export room", "room", name, "err", err)
		return
	}
	s.record(u.Name, "export room", name, fmt.Sprintf("%d messages", n))
}
