// assets_test.go checks the web client's files against each other, without
// a browser: the service worker's shell names every module, index.html
// loads the entry module, and every import names a module and exports that
// exist, with no cycle between modules.

package main

import (
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// clientModules returns the paths the browser loads the modules from,
// such as /js/main.js, sorted.
func clientModules(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(assetsFS, "assets/js/*.js")
	if err != nil || len(names) == 0 {
		t.Fatalf("no modules in assets/js: %v", err)
	}
	for i, n := range names {
		names[i] = strings.TrimPrefix(n, "assets")
	}
	slices.Sort(names)
	return names
}

func readAsset(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(assetsFS, "assets/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestShellListsEveryModule(t *testing.T) {
	sw := readAsset(t, "sw.js")
	start, end := strings.Index(sw, "const SHELL = ["), strings.Index(sw, "];")
	if start < 0 || end < start {
		t.Fatal("sw.js has no SHELL list")
	}
	var listed []string
	for _, m := range regexp.MustCompile(`"(/js/[^"]+)"`).FindAllStringSubmatch(sw[start:end], -1) {
		listed = append(listed, m[1])
	}
	slices.Sort(listed)
	if want := clientModules(t); !slices.Equal(listed, want) {
		t.Errorf("sw.js SHELL lists %q, assets/js holds %q", listed, want)
	}
	if index := readAsset(t, "index.html"); !strings.Contains(index, `<script type="module" src="/js/main.js"></script>`) {
		t.Error("index.html does not load /js/main.js as a module")
	}
	if _, err := fs.Stat(assetsFS, "assets/app.js"); err == nil {
		t.Error("assets/app.js is back; the client lives in assets/js")
	}
}

var (
	importRE = regexp.MustCompile(`(?m)^import \{([^}]*)\} from "\./([a-z]+\.js)";`)
	exportRE = regexp.MustCompile(`(?m)^export (?:async )?(?:function|const|let) ([\w$]+)`)
	// writesHTML finds what parses a string as HTML.
	writesHTML = regexp.MustCompile(`\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser`)
)

func TestModuleImports(t *testing.T) {
	exports := map[string][]string{}
	imports := map[string][]string{} // module → modules it imports
	sources := map[string]string{}
	for _, p := range clientModules(t) {
		name := path.Base(p)
		src := readAsset(t, "js/"+name)
		sources[name] = src
		if !strings.HasPrefix(src, "// "+name+" ") {
			t.Errorf("%s does not open with a comment saying what it owns", name)
		}
		for _, m := range exportRE.FindAllStringSubmatch(src, -1) {
			exports[name] = append(exports[name], m[1])
		}
	}
	for name, src := range sources {
		if writesHTML.MatchString(src) {
			t.Errorf("%s writes HTML; user text goes in as text only", name)
		}
		if n := strings.Count(src, "\nimport "); n != len(importRE.FindAllString(src, -1)) {
			t.Errorf("%s has an import this test cannot read: use import { … } from \"./x.js\";", name)
		}
		for _, m := range importRE.FindAllStringSubmatch(src, -1) {
			from := m[2]
			if _, ok := sources[from]; !ok {
				t.Errorf("%s imports %s, which does not exist", name, from)
				continue
			}
			imports[name] = append(imports[name], from)
			for _, n := range strings.Split(m[1], ",") {
				if n = strings.TrimSpace(n); n != "" && !slices.Contains(exports[from], n) {
					t.Errorf("%s imports %s from %s, which does not export it", name, n, from)
				}
			}
		}
	}
	// No cycles: depth-first, a module met again while on the path is one.
	const (
		visiting = 1
		done     = 2
	)
	mark := map[string]int{}
	var visit func(name string, trail []string)
	visit = func(name string, trail []string) {
		switch mark[name] {
		case visiting:
			t.Errorf("import cycle: %s → %s", strings.Join(trail, " → "), name)
			return
		case done:
			return
		}
		mark[name] = visiting
		for _, dep := range imports[name] {
			visit(dep, append(trail, name))
		}
		mark[name] = done
	}
	visit("main.js", nil)
	for name := range sources {
		if mark[name] == 0 {
			t.Errorf("%s is not imported by main.js or anything it imports", name)
		}
	}
}
