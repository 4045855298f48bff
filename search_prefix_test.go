// search_prefix_test.go tests search by word prefixes (store_search.go):
// every query word matches the words that start with it, through GET
// /api/search; results stay newest first when the prefix spans several
// indexed words (their postings are merged, a message holding two of them
// comes once); and the bounds hold: the rarest term drives the walk, and
// no more than searchExamineMax messages are decoded.

package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

func TestSearchMatchesWordPrefixes(t *testing.T) {
	st := newTestStore(t)
	t0 := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	for i, body := range []string{
		"Lasagne for dinner, made with love",
		"Pizza tonight?",
		"Tonic water is in the fridge",
		"the pizzeria closes at nine",
	} {
		mustAppend(t, st, t0.Add(time.Duration(i)*time.Minute), body)
	}
	for _, tc := range []struct {
		terms []string
		want  string
	}{
		{[]string{"lasag"}, "[Lasagne for dinner, made with love]"},
		{[]string{"lasagne"}, "[Lasagne for dinner, made with love]"},
		{[]string{"pizz", "tonig"}, "[Pizza tonight?]"},
		{[]string{"tonig", "pizz"}, "[Pizza tonight?]"},
		{[]string{"ton"}, "[Tonic water is in the fridge Pizza tonight?]"},
		{[]string{"pizz"}, "[the pizzeria closes at nine Pizza tonight?]"},
		{[]string{"asagne"}, "[]"},         // a prefix, not any part
		{[]string{"lasagnes"}, "[]"},       // longer than the word
		{[]string{"pizz", "dinner"}, "[]"}, // every term, in one message
		{[]string{"the", "ni"}, "[the pizzeria closes at nine]"},
	} {
		got, err := st.search(tc.terms, func(string) bool { return true }, 50)
		if err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(bodies(got)); s != tc.want {
			t.Errorf("search %q = %s, want %s", tc.terms, s, tc.want)
		}
	}
}

// TestSearchPrefixOverHTTP: the endpoint splits the query as before and
// matches each word as a prefix, in any case.
func TestSearchPrefixOverHTTP(t *testing.T) {
	ts := newTestServer(t, nil)
	ann := ts.loggedIn("ann")
	sa := ann.dial()
	sa.say("general", "Lasagne for dinner", "c-1")
	sa.ack("c-1")
	sa.say("general", "Pizza tonight?", "c-2")
	sa.ack("c-2")
	for q, want := range map[string]string{
		"lasag":      "[Lasagne for dinner]",
		"LASAG":      "[Lasagne for dinner]",
		"pizz tonig": "[Pizza tonight?]",
		"pizz, din":  "[]",
	} {
		var res struct {
			Results []message
			Terms   []string
		}
		mustDo(t, ann, 200, "GET", "/api/search?q="+url.QueryEscape(q), nil, &res)
		if got := fmt.Sprint(bodies(res.Results)); got != want {
			t.Errorf("search %q = %s, want %s", q, got, want)
		}
		if got := strings.Join(res.Terms, " "); got != strings.ToLower(strings.ReplaceAll(q, ",", "")) {
			t.Errorf("search %q: terms %q", q, got)
		}
	}
}

// TestSearchPrefixIsNewestFirstAcrossWords: "pizz" spans pizza, pizzas,
// pizzeria and pizzicato, whose postings are each in time order; the
// results interleave them by time, newest first, and a message holding two
// of the words comes once.
func TestSearchPrefixIsNewestFirstAcrossWords(t *testing.T) {
	st := newTestStore(t)
	t0 := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	bodiesInOrder := []string{
		"pizza one",
		"pizzeria two",
		"pizzas three",
		"pizza four",
		"pizzicato and pizza five",
		"pizzeria six",
	}
	for i, body := range bodiesInOrder {
		mustAppend(t, st, t0.Add(time.Duration(i)*time.Minute), body)
	}
	want := slices.Clone(bodiesInOrder)
	slices.Reverse(want)
	got, err := st.search([]string{"pizz"}, func(string) bool { return true }, 50)
	if err != nil {
		t.Fatal(err)
	}
	if g := bodies(got); !slices.Equal(g, want) {
		t.Errorf("search pizz = %q, want newest first %q", g, want)
	}
	// Two rooms, the same order by time.
	mustAppendIn(t, st, "kitchen", t0.Add(90*time.Second), "pizza in the kitchen")
	got, _ = st.search([]string{"pizz"}, func(string) bool { return true }, 50)
	if g := bodies(got); len(g) != 7 || g[5] != "pizzeria two" || g[4] != "pizza in the kitchen" || g[6] != "pizza one" {
		t.Errorf("with another room: %q", g)
	}
	// The limit takes the newest.
	got, _ = st.search([]string{"pizz"}, func(string) bool { return true }, 2)
	if g := bodies(got); !slices.Equal(g, want[:2]) {
		t.Errorf("limit 2: %q, want %q", g, want[:2])
	}
}

// TestSearchPrefixWithinTheBound: a prefix in many words and messages
// decodes at most searchExamineMax messages, the newest (the walk merges
// by time, it does not take the words one after the other), and a rarer
// term still drives the walk and finds its old message.
func TestSearchPrefixWithinTheBound(t *testing.T) {
	defer func(old int) { searchExamineMax = old }(searchExamineMax)
	searchExamineMax = 5
	st := newTestStore(t)
	t0 := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	mustAppend(t, st, t0, "commonwealth zebra")
	var newest []string
	for i := range 20 {
		// Words in the reverse of time's order: a walk word by word would
		// start with the oldest.
		body := fmt.Sprintf("common%c chatter %d", 'a'+i, i)
		mustAppend(t, st, t0.Add(time.Duration(i+1)*time.Minute), body)
		newest = append([]string{body}, newest...)
	}
	flushIndex(t, st) // the bound is the index walk's
	all := func(string) bool { return true }
	got, err := st.search([]string{"comm", "zeb"}, all, 50)
	if err != nil || fmt.Sprint(bodies(got)) != "[commonwealth zebra]" {
		t.Errorf("search comm zeb = %q, %v; want the one old message (found through zeb)", bodies(got), err)
	}
	got, _ = st.search([]string{"comm"}, all, 50)
	if g := bodies(got); !slices.Equal(g, newest[:searchExamineMax]) {
		t.Errorf("a prefix in 21 messages found %q, want the newest %d: %q", g, searchExamineMax, newest[:searchExamineMax])
	}
	// Counting stops at the bound too: "comm" counts 5, "chat" 5, so
	// neither is rarer; "zeb" (1) is.
	index := 0
	if err := st.db.View(func(tx *bbolt.Tx) error {
		index = countPostings(tx.Bucket(bucketWords), "comm", searchExamineMax)
		return nil
	}); err != nil || index != searchExamineMax {
		t.Errorf("countPostings(comm) = %d, %v; want the bound %d", index, err, searchExamineMax)
	}
}

// TestSearchPrefixWordsAreBounded: a prefix stands for at most
// searchPrefixWords words, the first in byte order.
func TestSearchPrefixWordsAreBounded(t *testing.T) {
	defer func(old int) { searchPrefixWords = old }(searchPrefixWords)
	searchPrefixWords = 3
	st := newTestStore(t)
	t0 := time.Date(2026, 11, 20, 18, 0, 0, 0, time.UTC)
	for i, body := range []string{"wordd", "worda", "wordc", "worde", "wordb"} {
		mustAppend(t, st, t0.Add(time.Duration(i)*time.Minute), body)
	}
	flushIndex(t, st) // the bound is the index walk's
	got, err := st.search([]string{"wor"}, func(string) bool { return true }, 50)
	if g := fmt.Sprint(bodies(got)); err != nil || g != "[wordb wordc worda]" {
		t.Errorf("search wor = %s, %v; want the words a, b and c only, newest first", g, err)
	}
}

// TestHoldsAll is the check of the other terms in a message found.
func TestHoldsAll(t *testing.T) {
	have := words("Pizza tonight? Crème brûlée!")
	for terms, want := range map[string]bool{
		"pizz tonig": true, "crè brû": true, "pizza": true, "izza": false, "pizz x": false, "tonight pizzas": false,
	} {
		if got := holdsAll(have, strings.Fields(terms)); got != want {
			t.Errorf("holdsAll(%q, %q) = %v", have, terms, got)
		}
	}
}

func bodies(ms []message) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Body)
	}
	return out
}

func mustAppend(t *testing.T, st *store, at time.Time, body string) {
	t.Helper()
	mustAppendIn(t, st, "general", at, body)
}

func mustAppendIn(t *testing.T, st *store, name string, at time.Time, body string) {
	t.Helper()
	if _, ok := st.room(name); !ok {
		if err := st.createRoom(room{Name: name}); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	r := &appendRequest{Msg: message{Room: name, User: "ann", Body: body}}
	if err := st.appendMessages([]*appendRequest{r}, at); err != nil || r.Err != nil {
		t.Fatalf("append %q: %v %v", body, err, r.Err)
	}
}
