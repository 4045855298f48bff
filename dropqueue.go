// dropqueue.go owns dropQueue, the bounded queue between the hub and the
// pusher's planner and senders: producers never wait, the oldest item
// goes when it is full.

package main

import (
	"context"
	"sync"
)

// dropQueue is a bounded FIFO that never blocks its producers: put drops
// the oldest item when full. A taker calls done when it has dealt with
// what it took.
type dropQueue[T any] struct {
	mu    sync.Mutex
	items []T
	limit int
	taken int           // taken and not yet done
	ready chan struct{} // has a token while items is not empty
}

func newDropQueue[T any](limit int) *dropQueue[T] {
	return &dropQueue[T]{limit: limit, ready: make(chan struct{}, 1)}
}

// put adds v, and reports whether the oldest item was dropped for it.
func (q *dropQueue[T]) put(v T) (dropped bool) {
	q.mu.Lock()
	if len(q.items) >= q.limit {
		var zero T
		q.items[0] = zero
		q.items = q.items[1:]
		dropped = true
	}
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return dropped
}

// take waits for the oldest item, or returns false once ctx is done.
func (q *dropQueue[T]) take(ctx context.Context) (T, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			v := q.items[0]
			var zero T
			q.items[0] = zero
			q.items = q.items[1:]
			more := len(q.items) > 0
			q.taken++
			q.mu.Unlock()
			if more { // pass the token on to the next taker
				select {
				case q.ready <- struct{}{}:
				default:
				}
			}
			return v, true
		}
		q.mu.Unlock()
		select {
		case <-q.ready:
		case <-ctx.Done():
			var zero T
			return zero, false
		}
	}
}

// done says an item taken has been dealt with.
func (q *dropQueue[T]) done() {
	q.mu.Lock()
	q.taken--
	q.mu.Unlock()
}

// len is how many items wait.
func (q *dropQueue[T]) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// pending is how many items wait or are being dealt with.
func (q *dropQueue[T]) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items) + q.taken
}
