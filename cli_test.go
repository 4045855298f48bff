// cli_test.go tests the subcommands in-process on temp databases, and the
// built binary as a person runs it: the setup link it prints, refusing a
// held database within 2 s, and a clean SIGTERM.

package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
)

func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(args, strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestUserCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cli.db")
	if out, err := runCLI(t, "first password\n", "user", "add", "-db", db, "-admin", "mum"); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	// Flags after the name work too; no trailing newline on stdin is fine.
	if out, err := runCLI(t, "second password", "user", "add", "kid", "-db", db); err != nil {
		t.Fatalf("user add (flags last): %v\n%s", err, out)
	}
	failures := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"taken name", "another password\n", []string{"user", "add", "-db", db, "mum"}, "already exists"},
		{"bad name", "another password\n", []string{"user", "add", "-db", db, "Mum!"}, "username must be"},
		{"short password", "short\n", []string{"user", "add", "-db", db, "gran"}, "at least 8"},
		{"no password", "", []string{"user", "add", "-db", db, "gran"}, "first line of standard input"},
		{"no name", "long enough\n", []string{"user", "add", "-db", db}, "exactly one NAME"},
		{"passwd unknown user", "long enough\n", []string{"user", "passwd", "-db", db, "nobody"}, "user not found"},
		{"unknown subcommand", "", []string{"user", "delete", "-db", db, "kid"}, "unknown subcommand"},
		{"unknown command", "", []string{"frobnicate"}, "unknown command"},
		{"list a missing database", "", []string{"user", "list", "-db", db + ".missing"}, "no database at"},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runCLI(t, tc.stdin, tc.args...)
			if err == nil || !strings.Contains(err.Error()+out, tc.want) {
				t.Errorf("err = %v, output %q; want an error mentioning %q", err, out, tc.want)
			}
		})
	}
	if out, err := runCLI(t, "new password\n", "user", "passwd", "-db", db, "kid"); err != nil {
		t.Fatalf("user passwd: %v\n%s", err, out)
	}
	out, err := runCLI(t, "", "user", "list", "-db", db)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^kid\s+false`).MatchString(out) || !regexp.MustCompile(`(?m)^mum\s+true`).MatchString(out) {
		t.Errorf("user list output:\n%s", out)
	}
	// The new password works and the old one does not.
	st, err := openStore(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kid, _ := st.getUser("kid")
	if !checkPassword(kid.Hash, "new password") || checkPassword(kid.Hash, "second password") {
		t.Error("passwd did not replace the password")
	}
	if !bytes.HasPrefix(kid.Hash, []byte("$2")) {
		t.Errorf("password stored as %q, want a bcrypt hash", kid.Hash)
	}
}

// In a synctest bubble (the server on pipes, holding the database), so
// bbolt's wait for the lock takes fake time: exactly openTimeout, however
// slow the machine.
func TestUserCommandsRefuseAHeldDatabase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newPipeServer(t, nil)
		for _, args := range [][]string{
			{"user", "list", "-db", ts.cfg.DBPath},
			{"user", "add", "-db", ts.cfg.DBPath, "gran"},
		} {
			start := time.Now()
			_, err := runCLI(t, "long enough\n", args...)
			if !errors.Is(err, errDatabaseInUse) || !strings.Contains(err.Error(), "in use") {
				t.Errorf("%v: err = %v, want the database-in-use error", args, err)
			}
			if d := time.Since(start); d == 0 || d > openTimeout {
				t.Errorf("%v gave up after %v, want after trying for up to %v", args, d, openTimeout)
			}
		}
		// The server is unaffected.
		ts.loggedIn("ann").dial()
	})
}

// Tests below run the real binary (hearthBinary, startBinary: helpers_test.go).

func TestBinaryPrintsSetupLinkAndStopsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	p := startBinary(t, dir, []string{"HEARTH_DB=" + filepath.Join(dir, "env.db")})
	line := <-p.lines
	m := regexp.MustCompile(`http://[^/\s]+/setup\?token=([A-Z0-9]+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line %q has no setup link", line)
	}
	// HEARTH_DB chose the file.
	if _, err := os.Stat(filepath.Join(dir, "env.db")); err != nil {
		t.Errorf("HEARTH_DB not used: %v", err)
	}

	// Set up the admin through the link, open a socket, then SIGTERM.
	ts := &testServer{t: t, URL: p.URL}
	c := ts.newClient()
	if status, body := c.do("POST", "/api/setup", map[string]string{"token": m[1], "username": "mum", "password": "long enough"}, nil); status != http.StatusCreated {
		t.Fatalf("setup: %d %s", status, body)
	}
	s := c.dial()
	s.say("general", "bye", "c-1")
	s.ack("c-1")

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.closed(5 * time.Second); code != websocket.CloseGoingAway {
		t.Errorf("close code = %d, want 1001", code)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("exit: %v, want status 0", err)
		}
		p.done <- err // for cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5 s after SIGTERM")
	}
	t.Logf("exited %v after SIGTERM", time.Since(start))

	// The database was closed cleanly: the CLI can open it at once and the
	// message is there.
	st, err := openStore(filepath.Join(dir, "env.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	msgs, _ := st.history("general", historyQuery{Limit: 10})
	if len(msgs) != 1 || msgs[0].Body != "bye" {
		t.Errorf("history after SIGTERM = %+v", msgs)
	}
}

func TestBinaryRefusesHeldDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	startBinary(t, dir, nil) // holds dir/hearth.db, the default
	start := time.Now()
	out, err := exec.Command(hearthBinary(t), "user", "list", "-db", filepath.Join(dir, "hearth.db")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use") {
		t.Errorf("user list on a held db: err %v, output %q", err, out)
	}
	// How long it tries is TestUserCommandsRefuseAHeldDatabase's, in fake
	// time; here only that it gives up rather than wait for the lock.
	if d := time.Since(start); d > 10*openTimeout {
		t.Errorf("took %v: it waited for the lock instead of giving up after %v", d, openTimeout)
	}
	// A second server on the same file fails the same way.
	addr := freeAddr(t)
	out, err = exec.Command(hearthBinary(t), "serve", "-addr", addr, "-db", filepath.Join(dir, "hearth.db")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use") {
		t.Errorf("second server: err %v, output %q", err, out)
	}
}

func TestServeOverTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeSelfSigned(t, cert, key)
	ts := newTestServer(t, func(cfg *config) { cfg.TLSCert, cfg.TLSKey = cert, key })
	if !strings.Contains(ts.output.String(), "https://") {
		t.Errorf("the printed link is not https: %q", ts.output.String())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get("https://" + ts.addr + "/api/me")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("over TLS: %d", resp.StatusCode)
	}
	// Plain HTTP on the same port is sent to https.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get("http://" + ts.addr + "/join?code=abc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != "https://"+ts.addr+"/join?code=abc" {
		t.Errorf("plain HTTP: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// writeSelfSigned writes a certificate for 127.0.0.1 and its key as PEM.
func writeSelfSigned(t *testing.T, certPath, keyPath string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), cryptorand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hearth test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(cryptorand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}

func TestReleaseBuildIsReproducibleAndVersioned(t *testing.T) {
	if testing.Short() {
		t.Skip("builds twice")
	}
	dir := t.TempDir()
	build := func(name string) []byte {
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false",
			"-ldflags", "-s -w -buildid= -X main.version=v9.9.9 -X main.commit=abc123", "-o", filepath.Join(dir, name), ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build: %v\n%s", err, out)
		}
		data, _ := os.ReadFile(filepath.Join(dir, name))
		return data
	}
	a, b := build("a"), build("b")
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Error("two release builds of the same source differ")
	}
	t.Logf("release binary: %.1f MB", float64(len(a))/(1<<20))
	out, err := exec.Command(filepath.Join(dir, "a"), "version").CombinedOutput()
	if want := fmt.Sprintf("hearth v9.9.9 abc123 (database format %d)", databaseFormat); err != nil || strings.TrimSpace(string(out)) != want {
		t.Errorf("version: %q %v", out, err)
	}
}

// hearth user passwd is a password change like a reset link: every session
// of the user ends and their reset links are void.
func TestUserPasswdEndsSessions(t *testing.T) {
	ts := newTestServer(t, nil)
	kid := ts.loggedIn("kid")
	mum := ts.loggedIn("mum")
	if err := ts.store().putReset(hashToken("pending-link"), passwordReset{User: "kid", Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ts.stop()
	out, err := runCLI(t, "a new password\n", "user", "passwd", "-db", ts.cfg.DBPath, "kid")
	if err != nil || !strings.Contains(out, "ended 1 sessions") {
		t.Fatalf("user passwd: %v %q", err, out)
	}
	ts.start()
	if status, _ := kid.do("GET", "/api/me", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("kid's old session after passwd: %d, want 401", status)
	}
	if status, _ := mum.do("GET", "/api/me", nil, nil); status != http.StatusOK {
		t.Errorf("mum's session after kid's passwd: %d, want 200", status)
	}
	if _, err := ts.store().resetUser(hashToken("pending-link"), time.Now()); !errors.Is(err, errResetInvalid) {
		t.Errorf("kid's reset link after passwd: %v, want invalid", err)
	}
}
