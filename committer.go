// committer.go owns group commit. One goroutine drains the changes waiting
// in its queue (messages and their edits, uploads, and every change to a
// room), stores them in one bbolt transaction (one fsync for the whole
// batch) and only then hands the batch, in order, to the hub. Nobody sees a
// message or a room change before it is on disk, and delivery order is
// commit order, for rooms as for messages.

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"syscall"
	"time"
)

const (
	// commitQueueSize bounds the sends waiting for the committer; readers
	// block (and stop reading their sockets) when it is full.
	commitQueueSize = 1024
	// maxBatch bounds one transaction, so one huge batch cannot delay the
	// acknowledgement of everything behind it.
	maxBatch = 512
)

// errCommitFailed is what a sender hears when its batch could not be stored.
var errCommitFailed = errors.New("message could not be saved")

// messageAppender is the part of the store the committer needs; tests
// replace it to make writes fail.
type messageAppender interface {
	appendMessages(reqs []*appendRequest, now time.Time) error
}

// pendingSend is one change on its way to the store and the hub: a message
// from a connection, a hook or an upload, or a room change from an HTTP
// handler.
type pendingSend struct {
	from  *conn // acknowledged or told of failure; nil for server-made changes
	req   appendRequest
	err   error  // errCommitFailed when the batch's transaction failed (wrapping errDiskFull when the disk was full)
	reply frames // encoded by the committer after the commit: the message, or the error (none for room ops)
	// done, if not nil, is closed once the change is committed (or refused)
	// and the hub has delivered it, so sockets that register after hear of
	// it in their hello (or, if the hub has stopped, once it was handed
	// over). HTTP handlers wait on it, then read req.
	done chan struct{}
	// queued and committed time the stages of its way (metrics.go).
	queued, committed time.Time
}

// private reports whether p's reply is for its sender alone: a refusal, or
// the stored copy of a duplicate.
func (p *pendingSend) private() bool {
	return p.err != nil || p.req.Err != nil || p.req.Dup
}

// committer turns queued sends into committed, delivered messages.
type committer struct {
	st    messageAppender
	hub   *hub
	queue chan *pendingSend
	done  chan struct{} // closed when run returns
	// disk, when set (before run starts; read-only after), is read before
	// every batch: below its floor only deletes are committed, and
	// everything else is refused with errDiskFull, rather than let bbolt
	// run out of space in the middle of the transaction.
	disk *diskWatch
}

func newCommitter(st messageAppender, h *hub) *committer {
	return &committer{st: st, hub: h, queue: make(chan *pendingSend, commitQueueSize), done: make(chan struct{})}
}

// submit queues p for the next commit, waiting while the queue is full. It
// returns false if the committer has stopped.
func (cm *committer) submit(p *pendingSend) bool {
	p.queued = time.Now()
	select {
	case cm.queue <- p:
		return true
	case <-cm.done:
		return false
	}
}

// run is the committer's goroutine; it returns when ctx is done. Sends still
// queued then were never acknowledged, so their clients will resend them.
func (cm *committer) run(ctx context.Context) {
	defer close(cm.done)
	batch := make([]*pendingSend, 0, maxBatch)
	reqs := make([]*appendRequest, 0, maxBatch)
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-cm.queue:
			batch = append(batch[:0], p)
		}
		// Everything that queued up during the previous fsync rides along.
		// An upload's bytes are stored already (handleUpload): its commit
		// only makes its file visible, so uploads batch like messages.
	drain:
		for len(batch) < maxBatch {
			select {
			case p := <-cm.queue:
				batch = append(batch, p)
			default:
				break drain
			}
		}
		// One statfs per batch is cheap next to the batch's fsync.
		full := cm.disk != nil && cm.disk.check().State == diskFull
		reqs = reqs[:0]
		for _, p := range batch {
			if full && !p.req.Op.frees() {
				p.req.Err = errDiskFull // never handed to the store: nothing of it is written
				continue
			}
			reqs = append(reqs, &p.req)
		}
		start := time.Now()
		for _, p := range batch {
			metricStageQueue.Update(start.Sub(p.queued).Seconds())
		}
		if len(reqs) > 0 {
			if err := cm.st.appendMessages(reqs, start); err != nil {
				slog.Error("commit messages", "count", len(reqs), "err", err)
				failed := errCommitFailed
				if errors.Is(err, syscall.ENOSPC) {
					// The disk filled up between two readings: say so,
					// and read again, so what follows is refused early.
					failed = fmt.Errorf("%w: %w", errCommitFailed, errDiskFull)
					if cm.disk != nil {
						cm.disk.check()
					}
				}
				for _, p := range batch {
					p.err = failed
				}
			}
		}
		committed := time.Now()
		metricCommitSeconds.Update(committed.Sub(start).Seconds())
		metricStageCommit.Update(committed.Sub(start).Seconds())
		metricBatchSize.Update(float64(len(batch)))
		// Encoding here, not in the hub, overlaps it with the hub's fan-out
		// of the previous batch.
		for _, p := range batch {
			p.committed = committed
			if p.req.Op.changesRoom() {
				continue // its frames depend on who hears them: the hub makes them
			}
			if p.err != nil || p.req.Err != nil {
				p.reply = prepare(errorFrameFor(p))
			} else {
				p.reply = prepare(p.req.Msg)
				if p.req.Op == opSend && !p.req.Dup {
					metricStored.Inc()
				}
			}
		}
		// The hub gets its own slice: batch is reused for the next round.
		// It closes each done once it has delivered the batch.
		select {
		case cm.hub.deliver <- append([]*pendingSend(nil), batch...):
		case <-cm.hub.done:
			closeDone(batch)
		}
	}
}

// closeDone tells whoever waits on the batch's changes that they are done.
func closeDone(batch []*pendingSend) {
	for _, p := range batch {
		if p.done != nil {
			close(p.done)
		}
	}
}

// errorFrameFor explains why p was not stored.
func errorFrameFor(p *pendingSend) errorFrame {
	switch {
	case errors.Is(p.req.Err, errRoomNotFound):
		return newErrorFrame("unknown_room", "no such room: "+p.req.Msg.Room, p.req.Msg.ClientID)
	case errors.Is(p.req.Err, errReplyNotFound):
		return newErrorFrame("unknown_message", "the message you replied to was deleted or is not in this room", p.req.Msg.ClientID)
	case errors.Is(p.req.Err, errMessageNotFound):
		return newErrorFrame("unknown_message", "no such message", p.req.Msg.ClientID)
	case errors.Is(p.req.Err, errRoomArchived):
		return newErrorFrame("archived", "this room is archived: it keeps its history but takes no new messages", p.req.Msg.ClientID)
	case errors.Is(p.req.Err, errNotYours):
		return newErrorFrame("forbidden", "you can only change your own messages", p.req.Msg.ClientID)
	case errors.Is(p.req.Err, errDiskFull), errors.Is(p.err, errDiskFull):
		return newErrorFrame("store_failed", diskFullMessage, p.req.Msg.ClientID)
	case errors.Is(p.req.Err, errTooManyReactions):
		return newErrorFrame("too_many_reactions", fmt.Sprintf("a message holds at most %d different reactions; add to one of them", maxReactionKinds), p.req.Msg.ClientID)
	default:
		return newErrorFrame("store_failed", "the message could not be saved; try again", p.req.Msg.ClientID)
	}
}
