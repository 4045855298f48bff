// backup.go owns keeping the data safe: a hot backup over HTTP while
// serving (one read transaction), and the commands that back up, restore
// and compact a database file. A restore checks the backup before it
// replaces anything, and every file is written beside its target and
// renamed into place, so a crash never leaves half a database.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// handleBackup streams a consistent copy of the database to an admin.
func (s *server) handleBackup(w http.ResponseWriter, r *http.Request, sess session, u user) {
	name := "hearth-" + time.Now().UTC().Format("20060102-150405") + ".db"
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Content-Length", strconv.FormatInt(s.st.backupSize(), 10))
	w.Header().Set("Cache-Control", "no-store")
	n, err := s.st.writeBackup(w)
	if err != nil {
		slog.Error("backup", "written", n, "err", err)
		return // the length no longer matches: the client sees a broken download
	}
	s.record(u.Name, "download backup", "", byteSize(int(n)))
}

// writeFileAtomic writes what fill writes to a temporary file beside path,
// syncs it and renames it into place.
func writeFileAtomic(path string, fill func(f *os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := fill(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// backupCommand: hearth backup -db PATH OUT (server stopped), or hearth
// backup -url URL -user NAME OUT (server running; password on stdin).
func backupCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", "", "database file to back up (with the server stopped)")
	serverURL := fs.String("url", "", "a running server to back up, e.g. http://hearth.local:8080")
	userName := fs.String("user", "", "an admin's name, with -url (password: first line of stdin)")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || (*dbPath == "") == (*serverURL == "") {
		return errors.New("backup: want -db PATH OUT or -url URL -user NAME OUT")
	}
	out := rest[0]
	if *dbPath != "" {
		db, err := openDB(*dbPath, true)
		if err != nil {
			return err
		}
		defer db.Close()
		st := &store{db: db}
		err = writeFileAtomic(out, func(f *os.File) error { _, err := st.writeBackup(f); return err })
		if err != nil {
			return fmt.Errorf("backup %s to %s: %w", *dbPath, out, err)
		}
	} else {
		password, err := readPassword(stdin)
		if err != nil {
			return err
		}
		if err := downloadBackup(*serverURL, *userName, password, out); err != nil {
			return err
		}
	}
	if err := checkBackup(out); err != nil {
		return fmt.Errorf("backup written but it does not check out: %w", err)
	}
	fi, _ := os.Stat(out)
	fmt.Fprintf(stdout, "backed up to %s (%s)\n", out, byteSize(int(fi.Size())))
	return nil
}

// downloadBackup logs in to a running server as an admin and saves its
// backup to out.
func downloadBackup(base, name, password, out string) error {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Minute}
	base = strings.TrimSuffix(base, "/")
	login := fmt.Sprintf(`{"username":%q,"password":%q}`, name, password)
	resp, err := client.Post(base+"/api/login", "application/json", strings.NewReader(login))
	if err != nil {
		return fmt.Errorf("backup: log in to %s: %w", base, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("backup: log in to %s as %s: %s", base, name, resp.Status)
	}
	u, _ := url.Parse(base + "/api/admin/backup")
	resp, err = client.Get(u.String())
	if err != nil {
		return fmt.Errorf("backup: download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("backup: download: %s (an admin's account is needed)", resp.Status)
	}
	return writeFileAtomic(out, func(f *os.File) error {
		n, err := io.Copy(f, resp.Body)
		if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
			err = fmt.Errorf("got %d of %d bytes", n, resp.ContentLength)
		}
		return err
	})
}

// restoreCommand: hearth restore -db PATH BACKUP, with the server stopped.
// The backup is checked first; the database it replaces is kept beside it
// as PATH.before-restore.
func restoreCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", envOr("HEARTH_DB", "hearth.db"), "database file to replace")
	rest, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return errors.New("restore: want -db PATH BACKUP")
	}
	backup := rest[0]
	if err := checkBackup(backup); err != nil {
		return fmt.Errorf("restore: %s is not a sound backup, nothing was replaced: %w", backup, err)
	}
	if _, err := os.Stat(*dbPath); err == nil {
		// Taking the lock proves no server holds the file.
		db, err := openDB(*dbPath, true)
		if err != nil && errors.Is(err, errDatabaseInUse) {
			return fmt.Errorf("restore: %w", err)
		}
		if db != nil {
			db.Close()
		}
		if err := copyFile(*dbPath, *dbPath+".before-restore"); err != nil {
			return fmt.Errorf("restore: keep the current database: %w", err)
		}
	}
	if err := copyFile(backup, *dbPath); err != nil {
		return fmt.Errorf("restore %s: %w", *dbPath, err)
	}
	// A backup from an older release is brought to this one's format now,
	// so the server starts on it as on any other file.
	st, err := openStore(*dbPath)
	if err != nil {
		return fmt.Errorf("restore %s: %w", *dbPath, err)
	}
	if err := st.Close(); err != nil {
		return fmt.Errorf("restore %s: %w", *dbPath, err)
	}
	fmt.Fprintf(stdout, "restored %s from %s\n", *dbPath, backup)
	return nil
}

// copyFile copies from to to atomically: to is whole or as it was.
func copyFile(from, to string) error {
	return writeFileAtomic(to, func(f *os.File) error {
		src, err := os.Open(from)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(f, src)
		return err
	})
}

// compactCommand: hearth compact -db PATH, with the server stopped.
func compactCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compact", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", envOr("HEARTH_DB", "hearth.db"), "database file to compact")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	before, err := os.Stat(*dbPath)
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	tmp := *dbPath + ".compact"
	os.Remove(tmp)
	if err := compactDB(*dbPath, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := checkBackup(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compact: the copy does not check out, nothing was replaced: %w", err)
	}
	if err := os.Rename(tmp, *dbPath); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	after, _ := os.Stat(*dbPath)
	fmt.Fprintf(stdout, "compacted %s: %s → %s\n", *dbPath, byteSize(int(before.Size())), byteSize(int(after.Size())))
	return nil
}
