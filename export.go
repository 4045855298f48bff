// export.go owns getting history out of Hearth in forms that need no
// Hearth to read: JSON lines (one message a line), and a self-contained
// HTML archive with the shared images beside it, readable in any browser.

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// archivePage is one room's page of the HTML archive.
var archivePage = template.Must(template.New("room").Funcs(template.FuncMap{
	"time":  func(t time.Time) string { return t.Local().Format("Mon 2 Jan 2006 15:04") },
	"image": func(a *attachment) bool { return a != nil && slices.Contains(inlineTypes, a.Type) },
	"file":  func(a *attachment) string { return archiveFileName(a) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}: Hearth archive</title>
<style>
body{font:16px/1.45 system-ui,sans-serif;margin:0 auto;max-width:48rem;padding:1rem;color:#2a2119;background:#fbf7f2}
@media (prefers-color-scheme:dark){body{color:#efe6da;background:#17140f}a{color:#ff7a3d}}
h1{font-size:1.3rem} nav a{margin-right:.75rem}
.m{padding:.4rem 0;border-bottom:1px solid rgba(128,128,128,.2)} .u{font-weight:700} .t{color:#7a6d60;font-size:.8rem;margin-left:.4rem}
.b{white-space:pre-wrap;overflow-wrap:anywhere} .d{color:#7a6d60;font-style:italic} img{max-width:100%;max-height:20rem;border-radius:8px;display:block;margin-top:.3rem}
</style></head><body>
<nav>{{range .Rooms}}<a href="{{.File}}">{{.Title}}</a>{{end}}</nav>
<h1>{{.Title}}</h1>
{{range .Messages}}<div class="m" id="m{{.ID}}"><span class="u">{{.User}}</span><span class="t">{{time .TS}}{{if not .Edited.IsZero}} (edited){{end}}</span>
{{if .Deleted}}<div class="b d">This message was deleted.</div>{{else}}<div class="b">{{.Body}}</div>{{end}}
{{with .File}}{{if image .}}<a href="files/{{file .}}"><img src="files/{{file .}}" alt="{{.Name}}"></a>{{else}}<a href="files/{{file .}}" download>{{.Name}}</a>{{end}}{{end}}</div>
{{else}}<p>Nothing was said here.</p>{{end}}
</body></html>
`))

type archiveRoom struct{ Title, File string }

func archiveFileName(a *attachment) string {
	return strconv.FormatUint(a.ID, 10) + "-" + cleanFileName(a.Name)
}

// exportHTML writes an archive of every room into dir: one page per room,
// an index, and the shared files under files/.
func exportHTML(st *store, dir string) (int, error) {
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o755); err != nil {
		return 0, err
	}
	rooms, err := st.listRooms()
	if err != nil {
		return 0, err
	}
	var nav []archiveRoom
	for i, r := range rooms {
		title := "#" + r.Name
		if r.DM {
			title = "DM " + r.Members[0] + " and " + r.Members[len(r.Members)-1]
		}
		nav = append(nav, archiveRoom{title, "room-" + strconv.Itoa(i) + ".html"})
	}
	total := 0
	for i, r := range rooms {
		var msgs []message
		err := st.eachMessage(r.Name, func(m message) error {
			if m.File != nil {
				_, data, err := st.getFile(m.File.ID)
				if err == nil {
					if err := os.WriteFile(filepath.Join(dir, "files", archiveFileName(m.File)), data, 0o644); err != nil {
						return err
					}
				}
			}
			msgs = append(msgs, m)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += len(msgs)
		f, err := os.Create(filepath.Join(dir, nav[i].File))
		if err != nil {
			return total, err
		}
		err = archivePage.Execute(f, map[string]any{"Title": nav[i].Title, "Rooms": nav, "Messages": msgs})
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
		return total, os.WriteFile(index, data, 0o644)
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
	rooms, _ := st.listRooms()
	names := make([]string, len(rooms))
	for i, r := range rooms {
		names[i] = r.Name
	}
	_, err = exportJSONLines(st, names, stdout)
	return err
}

// handleAdminExport downloads one room's history as JSON lines.
func (s *server) handleAdminExport(w http.ResponseWriter, r *http.Request, sess session, u user) {
	name := r.PathValue("room")
	if _, ok := s.st.room(name); !ok {
		writeError(w, http.StatusNotFound, "no such room")
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
