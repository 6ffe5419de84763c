package parallel

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tasksOnce runs tasks pieces of work with Run and reports how many times each piece ran.
func tasksOnce(workers, tasks int) []int32 {
	counts := make([]int32, tasks)
	var next atomic.Int64
	Run(workers, func() {
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks {
				return
			}
			atomic.AddInt32(&counts[t], 1)
		}
	})
	return counts
}

// Every piece of work runs exactly once, for any number of workers, call after call (the helpers
// of one call must not run into the next).
func TestRunDoesEveryTaskOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 3, 8} {
		for round := range 200 {
			for i, c := range tasksOnce(workers, 1+round%37) {
				if c != 1 {
					t.Fatalf("workers %d, round %d: task %d ran %d times", workers, round, i, c)
				}
			}
		}
	}
}

// The helpers do join: a call that waits for a second caller inside fn is answered.
func TestRunRunsConcurrently(t *testing.T) {
	for round := range 20 {
		var inside atomic.Int32
		joined := false
		Run(2, func() {
			if inside.Add(1) > 1 {
				return
			}
			deadline := time.Now().Add(5 * time.Second)
			for inside.Load() < 2 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Microsecond)
			}
			joined = inside.Load() >= 2
		})
		if !joined {
			t.Fatalf("round %d: no helper joined the call within 5 s", round)
		}
		time.Sleep(time.Duration(round%3) * SpinTime) // Also from parked helpers.
	}
}

// Runs inside Run and from several goroutines at once fall back to goroutines, and still do
// every task once.
func TestRunNestedAndConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 50 {
				var next atomic.Int64
				Run(3, func() {
					for next.Add(1) <= 4 {
						for i, c := range tasksOnce(2, 5+g) {
							if c != 1 {
								errs <- fmt.Sprintf("goroutine %d, round %d: nested task %d ran %d times", g, round, i, c)
							}
						}
					}
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// onHelper reports whether the calling goroutine is one of the pool's helpers.
func onHelper() bool {
	pc := make([]uintptr, 64)
	frames := runtime.CallersFrames(pc[:runtime.Callers(1, pc)])
	for {
		f, more := frames.Next()
		if strings.HasSuffix(f.Function, ".(*pool).helper") {
			return true
		}
		if !more {
			return false
		}
	}
}

// A call whose function panics on the calling goroutine (and is recovered there) leaves the pool
// usable: the next calls get their helpers again.
func TestRunAfterPanic(t *testing.T) {
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not reach the caller")
			}
		}()
		Run(2, func() {
			if !onHelper() { // A panic on a helper would end the test binary.
				panic("boom")
			}
		})
	}()
	if global.busy.Load() {
		t.Fatal("the pool is still marked busy after the panic")
	}
	TestRunRunsConcurrently(t)
}
