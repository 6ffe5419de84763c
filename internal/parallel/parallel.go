// Package parallel runs a function on several goroutines at once, with helper goroutines that stay
// awake for a moment between calls.
//
// Why: the host loss engine and its matrix products split each step into a dozen or more parallel
// sections of tens to hundreds of microseconds. Starting goroutines for each section wakes an idle
// core every time, and on a virtual machine that wake-up (a futex, an inter-processor interrupt
// through the hypervisor) costs tens of microseconds: at N = 256 a class loss ran slower on two
// cores than on one (docs/PERFORMANCE.md). Here the helpers, once started, wait for the next
// section by spinning (yielding to the scheduler) for up to SpinTime before they park, as OpenMP's
// threads do under torch, so consecutive sections find them awake.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// SpinTime is how long an idle helper keeps looking for the next call before it parks.
const SpinTime = 200 * time.Microsecond

// Run calls fn on the calling goroutine and on up to workers − 1 helpers that join while that call
// runs, and returns when every call has returned. fn must split the work itself, taking pieces
// until none is left (typically task numbers from an atomic counter): the calling goroutine alone
// may do it all, and a helper that joins late finds less to do, or nothing. workers ≤ 1 calls fn
// once on the calling goroutine. When the helpers are busy (a Run inside fn, or one from another
// goroutine) the other calls run on new goroutines instead, workers − 1 of them.
func Run(workers int, fn func()) {
	if workers <= 1 {
		fn()
		return
	}
	if !global.busy.CompareAndSwap(false, true) {
		runGoroutines(workers, fn)
		return
	}
	defer global.busy.Store(false)
	global.run(workers-1, fn)
}

// runGoroutines is Run with new goroutines.
func runGoroutines(workers int, fn func()) {
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	for range workers - 1 {
		go func() {
			defer wg.Done()
			fn()
		}()
	}
	fn()
	wg.Wait()
}

// pool is the helpers and the call they are asked to join. One call at a time (busy).
type pool struct {
	busy atomic.Bool

	mu      sync.Mutex // guards started
	started int        // helpers running

	seq      atomic.Uint64 // number of calls published; helpers wait for it to change
	fn       func()        // the current call's function: set before seq changes
	want     atomic.Int64  // helpers still wanted by the current call; closed: negative
	finished atomic.Int64  // helpers done with the current call

	parked atomic.Int64  // helpers waiting on wake
	wake   chan struct{} // one token per helper to wake
}

var global = &pool{wake: make(chan struct{}, 1024)}

// closed is want's value once a call accepts no more helpers.
const closed = -1 << 40

func (p *pool) run(helpers int, fn func()) {
	p.ensure(helpers)
	p.fn = fn
	p.finished.Store(0)
	p.want.Store(int64(helpers))
	p.seq.Add(1) // Publishes fn and want (atomic operations are sequentially consistent).
	for woken := 0; woken < helpers && p.parked.Load() > int64(woken); woken++ {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	defer p.close(helpers) // Also when fn panics (a caller may recover): the helpers finish first.
	fn()
}

// close ends the current call: no helper joins after it; those that claimed a place are waited for
// (the others found the work done anyway).
func (p *pool) close(helpers int) {
	joined := int64(helpers)
	if left := p.want.Swap(closed); left > 0 {
		joined -= left
	}
	for p.finished.Load() < joined {
		runtime.Gosched()
	}
	p.fn = nil
}

// ensure starts helpers until there are at least n.
func (p *pool) ensure(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for ; p.started < n; p.started++ {
		go p.helper(p.started, p.seq.Load())
	}
}

// helper number idx joins each call published after seen, while the call still wants helpers.
func (p *pool) helper(idx int, seen uint64) {
	for {
		seen = p.await(idx, seen)
		if p.want.Add(-1) >= 0 {
			p.fn()
			p.finished.Add(1)
		}
	}
}

// await returns the number of calls published once it differs from seen: spinning for SpinTime,
// then parked until a call wakes it. Helper idx spins only while GOMAXPROCS leaves it a core (it
// was started when GOMAXPROCS was larger); otherwise it parks at once.
func (p *pool) await(idx int, seen uint64) uint64 {
	start := time.Now()
	spin := idx < runtime.GOMAXPROCS(0)-1
	for spins := 0; spin; spins++ {
		if s := p.seq.Load(); s != seen {
			return s
		}
		if spins%64 == 63 && time.Since(start) > SpinTime {
			break
		}
		runtime.Gosched()
	}
	for {
		p.parked.Add(1)
		// Checked after announcing the park: a call published from here on sees parked > 0 and
		// sends a token; one published before is seen now.
		if s := p.seq.Load(); s != seen {
			p.parked.Add(-1)
			return s
		}
		<-p.wake
		p.parked.Add(-1)
		if s := p.seq.Load(); s != seen {
			return s
		}
	}
}
