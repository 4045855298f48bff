// stages.go reads where Hearth's deliveries spent their time: the
// hearth_delivery_STAGE_seconds histograms of its /metrics (queue, commit,
// handoff, fanout, write; see metrics.go in the repository root), as
// p50/p99/p999 per stage, for the rate scenario's tail breakdown.

package main

import (
	"bufio"
	"cmp"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// stageOrder is the way a message goes, in order.
var stageOrder = []string{"queue", "commit", "handoff", "fanout", "write"}

// stageBucket is one cumulative bucket: how many values were at most le.
type stageBucket struct {
	le float64
	n  uint64
}

// stageBreakdown fetches Hearth's /metrics at addr and says, per stage,
// its p50/p99/p999 (each the upper bound of the bucket it falls in: at
// most 25% high) and how many values it holds.
func stageBreakdown(addr string) (string, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return "", fmt.Errorf("read /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("read /metrics: status %d", resp.StatusCode)
	}
	buckets := map[string][]stageBucket{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		// hearth_delivery_queue_seconds_bucket{le="0.0001"} 5
		rest, ok := strings.CutPrefix(sc.Text(), "hearth_delivery_")
		if !ok {
			continue
		}
		stage, rest, ok := strings.Cut(rest, `_seconds_bucket{le="`)
		if !ok {
			continue
		}
		leS, count, _ := strings.Cut(rest, `"} `)
		le, err1 := strconv.ParseFloat(leS, 64) // "+Inf" too
		n, err2 := strconv.ParseUint(count, 10, 64)
		if err1 != nil || err2 != nil {
			return "", fmt.Errorf("read /metrics: a line not understood: %q", sc.Text())
		}
		buckets[stage] = append(buckets[stage], stageBucket{le, n})
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read /metrics: %w", err)
	}
	var b strings.Builder
	for _, stage := range stageOrder {
		bs := buckets[stage]
		if len(bs) == 0 {
			continue
		}
		slices.SortFunc(bs, func(x, y stageBucket) int { return cmp.Compare(x.le, y.le) })
		total := bs[len(bs)-1].n // the +Inf bucket holds them all
		if total == 0 {
			continue
		}
		q := func(p float64) string {
			want := uint64(math.Ceil(p * float64(total)))
			i := slices.IndexFunc(bs, func(x stageBucket) bool { return x.n >= want })
			if math.IsInf(bs[i].le, 1) {
				return ">" + ms(time.Duration(bs[i-1].le*float64(time.Second)))
			}
			return ms(time.Duration(bs[i].le * float64(time.Second)))
		}
		fmt.Fprintf(&b, "  %s p50 %s p99 %s p999 %s (n=%d)", stage, q(0.5), q(0.99), q(0.999), total)
	}
	return strings.TrimSpace(b.String()), nil
}
